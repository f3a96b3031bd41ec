//! Roles, groups, organisations and departments: the records, and lookups by the keys
//! Authing addresses them by. Which requests change them, and how, is in the handlers.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The namespace (permission group) every user pool has.
pub(crate) const DEFAULT_NAMESPACE: &str = "default";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Role {
    pub id: String,
    pub code: String,
    pub name: String,
    pub description: String,
    pub namespace: String,
    pub status: String,
    #[serde(default)]
    pub disable_time: Option<Value>,
    pub created_at_ms: i64,
    /// Users the role is assigned to, in assignment order.
    pub users: Vec<String>,
    /// Other targets (`GROUP`, `DEPARTMENT`, `ROLE`) as (targetType, targetIdentifier).
    #[serde(default)]
    pub others: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Roles {
    pub list: Vec<Role>,
    /// Namespaces that exist: `default`, and any a role was created in (assumption: the
    /// emulator does not keep namespaces of their own).
    pub namespaces: BTreeSet<String>,
}

impl Roles {
    pub fn namespace_exists(&self, namespace: &str) -> bool {
        namespace == DEFAULT_NAMESPACE || self.namespaces.contains(namespace)
    }

    pub fn find(&self, namespace: &str, code: &str) -> Option<&Role> {
        self.list
            .iter()
            .find(|r| r.namespace == namespace && r.code == code)
    }

    pub fn find_mut(&mut self, namespace: &str, code: &str) -> Option<&mut Role> {
        self.list
            .iter_mut()
            .find(|r| r.namespace == namespace && r.code == code)
    }

    /// The roles assigned to `user_id`, in creation order.
    pub fn of_user<'a>(&'a self, user_id: &'a str) -> impl Iterator<Item = &'a Role> + 'a {
        self.list
            .iter()
            .filter(move |r| r.users.iter().any(|u| u == user_id))
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Group {
    pub id: String,
    pub code: String,
    pub name: String,
    pub description: String,
    #[serde(rename = "type")]
    pub kind: String,
    #[serde(default)]
    pub custom_data: Map<String, Value>,
    pub created_at_ms: i64,
    pub members: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Organization {
    pub code: String,
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// The root department: members added to it are members of the organisation.
    pub department_id: String,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// Other properties given at creation (`openDepartmentId`, `tenantId`, `i18n`...).
    #[serde(default)]
    pub extra: Map<String, Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Department {
    pub id: String,
    pub organization_code: String,
    /// `None` for an organisation's root department.
    pub parent_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub code: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    #[serde(default)]
    pub open_department_id: Option<String>,
    #[serde(default)]
    pub is_virtual_node: bool,
    #[serde(default)]
    pub leader_user_ids: Vec<String>,
    #[serde(default)]
    pub custom_data: Map<String, Value>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
    /// (user id, when they joined), in joining order.
    pub members: Vec<(String, i64)>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Orgs {
    pub organizations: Vec<Organization>,
    pub departments: Vec<Department>,
}

impl Orgs {
    pub fn organization(&self, code: &str) -> Option<&Organization> {
        self.organizations.iter().find(|o| o.code == code)
    }

    /// A department of organisation `org` by `departmentIdType`: `department_id` (the
    /// default), `code` or `open_department_id`. `None` for other types.
    pub fn department_index(&self, org: &str, id_type: &str, value: &str) -> Option<usize> {
        self.departments.iter().position(|d| {
            d.organization_code == org
                && match id_type {
                    "department_id" => d.id == value,
                    "code" => d.code.as_deref() == Some(value),
                    "open_department_id" => d.open_department_id.as_deref() == Some(value),
                    _ => false,
                }
        })
    }

    pub fn department(&self, id: &str) -> Option<&Department> {
        self.departments.iter().find(|d| d.id == id)
    }

    pub fn children<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Department> + 'a {
        self.departments
            .iter()
            .filter(move |d| d.parent_id.as_deref() == Some(id))
    }

    /// `id` and every department below it.
    pub fn subtree(&self, id: &str) -> Vec<&Department> {
        let mut found: Vec<&Department> = self.department(id).into_iter().collect();
        let mut i = 0;
        while i < found.len() {
            let parent: &Department = found[i];
            found.extend(self.children(&parent.id));
            i += 1;
        }
        found
    }

    /// The departments `user_id` is a member of (root departments included).
    pub fn of_user<'a>(&'a self, user_id: &'a str) -> impl Iterator<Item = &'a Department> + 'a {
        self.departments
            .iter()
            .filter(move |d| d.members.iter().any(|(u, _)| u == user_id))
    }
}
