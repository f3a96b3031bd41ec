//! The operationIds the emulator gives behaviour to (every other operation of the document
//! and the supplement answers a synthesized success, or 501 with `--unemulated 501`), named
//! once for the handlers, the statistics ([`crate::Stats::count`]), fault rules and tests.

pub const GET_MANAGEMENT_TOKEN: &str = "V3ManagementController_getManagementToken";

pub const IMPORT_OTP: &str = "UsersManagementController_importOtp";
pub const GET_OTP_SECRET_BY_USER: &str = "UsersManagementController_getOtpSecretByUser";
pub const GET_USER_MFA_INFO: &str = "UsersManagementController_getUserMfaInfo";
pub const SET_USERS_MFA_STATUS: &str = "UsersManagementController_setUsersMfaStatus";
pub const GET_USER_MFA_STATUS: &str = "UsersManagementController_getUserMfaStatus";

pub const CREATE_USER: &str = "UsersManagementController_createUser";
pub const CREATE_USERS_BATCH: &str = "UsersManagementController_createUsersBatch";
pub const GET_USER: &str = "UsersManagementController_getUser";
pub const GET_USER_BATCH: &str = "UsersManagementController_getUserBatch";
pub const UPDATE_USER: &str = "UsersManagementController_updateUser";
pub const DELETE_USERS_BATCH: &str = "UsersManagementController_deleteUsersBatch";
pub const LIST_USERS: &str = "UsersManagementController_listUsers";
pub const LIST_USERS_LEGACY: &str = "UsersManagementController_listUsersLegacy";

pub const CREATE_ROLE: &str = "RolesManagementController_createRole";
pub const CREATE_ROLES_BATCH: &str = "RolesManagementController_createRolesBatch";
pub const GET_ROLE: &str = "RolesManagementController_getRole";
pub const LIST_ROLES: &str = "RolesManagementController_listRoles";
pub const UPDATE_ROLE: &str = "RolesManagementController_updateRole";
pub const DELETE_ROLES_BATCH: &str = "RolesManagementController_deleteRolesBatch";
pub const ASSIGN_ROLE: &str = "RolesManagementController_assignRole";
pub const REVOKE_ROLE: &str = "RolesManagementController_revokeRole";
pub const LIST_ROLE_MEMBERS: &str = "RolesManagementController_listRoleMembers";
pub const GET_USER_ROLES: &str = "UsersManagementController_getUserRoles";

pub const CREATE_GROUP: &str = "GroupsManagementController_createGroup";
pub const CREATE_GROUPS_BATCH: &str = "GroupsManagementController_createGroupsBatch";
pub const GET_GROUP: &str = "GroupsManagementController_getGroup";
pub const LIST_GROUPS: &str = "GroupsManagementController_listGroups";
pub const UPDATE_GROUP: &str = "GroupsManagementController_updateGroup";
pub const DELETE_GROUPS_BATCH: &str = "GroupsManagementController_deleteGroupsBatch";
pub const ADD_GROUP_MEMBERS: &str = "GroupsManagementController_addGroupMembers";
pub const REMOVE_GROUP_MEMBERS: &str = "GroupsManagementController_RemoveGroupMembers";
pub const LIST_GROUP_MEMBERS: &str = "GroupsManagementController_ListGroupMembers";
pub const GET_USER_GROUPS: &str = "UsersManagementController_getUserGroups";

pub const CREATE_ORGANIZATION: &str = "OrganizationsManagementController_createOrganization";
pub const GET_ORGANIZATION: &str = "OrganizationsManagementController_getOrganization";
pub const LIST_ORGANIZATIONS: &str = "OrganizationsManagementController_listOrganizations";
pub const DELETE_ORGANIZATION: &str = "OrganizationsManagementController_deleteOrganization";

pub const CREATE_DEPARTMENT: &str = "DepartmentsManagementController_createDepartment";
pub const GET_DEPARTMENT: &str = "DepartmentsManagementController_getDepartment";
pub const UPDATE_DEPARTMENT: &str = "DepartmentsManagementController_updateDepartment";
pub const DELETE_DEPARTMENT: &str = "DepartmentsManagementController_deleteDepartment";
pub const ADD_DEPARTMENT_MEMBERS: &str = "DepartmentsManagementController_addDepartmentMembers";
pub const REMOVE_DEPARTMENT_MEMBERS: &str =
    "DepartmentsManagementController_removeDepartmentMembers";
pub const LIST_DEPARTMENT_MEMBERS: &str = "DepartmentsManagementController_listDepartmentMembers";
pub const GET_USER_DEPARTMENTS: &str = "UsersManagementController_getUserDepartments";

/// Every operation above.
pub const EMULATED: &[&str] = &[
    GET_MANAGEMENT_TOKEN,
    IMPORT_OTP,
    GET_OTP_SECRET_BY_USER,
    GET_USER_MFA_INFO,
    SET_USERS_MFA_STATUS,
    GET_USER_MFA_STATUS,
    CREATE_USER,
    CREATE_USERS_BATCH,
    GET_USER,
    GET_USER_BATCH,
    UPDATE_USER,
    DELETE_USERS_BATCH,
    LIST_USERS,
    LIST_USERS_LEGACY,
    CREATE_ROLE,
    CREATE_ROLES_BATCH,
    GET_ROLE,
    LIST_ROLES,
    UPDATE_ROLE,
    DELETE_ROLES_BATCH,
    ASSIGN_ROLE,
    REVOKE_ROLE,
    LIST_ROLE_MEMBERS,
    GET_USER_ROLES,
    CREATE_GROUP,
    CREATE_GROUPS_BATCH,
    GET_GROUP,
    LIST_GROUPS,
    UPDATE_GROUP,
    DELETE_GROUPS_BATCH,
    ADD_GROUP_MEMBERS,
    REMOVE_GROUP_MEMBERS,
    LIST_GROUP_MEMBERS,
    GET_USER_GROUPS,
    CREATE_ORGANIZATION,
    GET_ORGANIZATION,
    LIST_ORGANIZATIONS,
    DELETE_ORGANIZATION,
    CREATE_DEPARTMENT,
    GET_DEPARTMENT,
    UPDATE_DEPARTMENT,
    DELETE_DEPARTMENT,
    ADD_DEPARTMENT_MEMBERS,
    REMOVE_DEPARTMENT_MEMBERS,
    LIST_DEPARTMENT_MEMBERS,
    GET_USER_DEPARTMENTS,
];
