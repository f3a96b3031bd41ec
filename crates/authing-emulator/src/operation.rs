//! The operationIds of Authing's document that the emulator gives behaviour to (every
//! other operation answers 501), named once for the handlers, the statistics
//! ([`crate::Stats::count`]) and tests.

pub const GET_MANAGEMENT_TOKEN: &str = "V3ManagementController_getManagementToken";
pub const IMPORT_OTP: &str = "UsersManagementController_importOtp";
pub const GET_OTP_SECRET_BY_USER: &str = "UsersManagementController_getOtpSecretByUser";
pub const GET_USER_MFA_INFO: &str = "UsersManagementController_getUserMfaInfo";
pub const CREATE_USER: &str = "UsersManagementController_createUser";
pub const CREATE_USERS_BATCH: &str = "UsersManagementController_createUsersBatch";
pub const GET_USER: &str = "UsersManagementController_getUser";
pub const LIST_USERS: &str = "UsersManagementController_listUsers";
pub const LIST_USERS_LEGACY: &str = "UsersManagementController_listUsersLegacy";

/// Every operation above.
pub const EMULATED: &[&str] = &[
    GET_MANAGEMENT_TOKEN,
    IMPORT_OTP,
    GET_OTP_SECRET_BY_USER,
    GET_USER_MFA_INFO,
    CREATE_USER,
    CREATE_USERS_BATCH,
    GET_USER,
    LIST_USERS,
    LIST_USERS_LEGACY,
];
