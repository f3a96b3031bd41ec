//! Users going in (seeds) and coming out (exports) of the emulator, in the JSON forms
//! of seed files and the admin API.

use serde::{Deserialize, Serialize};

/// A user to preload, with a fixed id. Seeds carry no OTP: bind one with `import-otp`.
///
/// JSON form (seed files, `POST /_emulator/seed`): `{"userId":"u1","email":"a@example.com",
/// "username":"alice","phone":"13800000000","externalId":"ext-1"}`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeedUser {
    pub user_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_id: Option<String>,
}

impl SeedUser {
    pub fn new(user_id: impl Into<String>) -> Self {
        SeedUser {
            user_id: user_id.into(),
            ..SeedUser::default()
        }
    }

    pub fn email(mut self, email: impl Into<String>) -> Self {
        self.email = Some(email.into());
        self
    }

    pub fn username(mut self, username: impl Into<String>) -> Self {
        self.username = Some(username.into());
        self
    }

    pub fn phone(mut self, phone: impl Into<String>) -> Self {
        self.phone = Some(phone.into());
        self
    }

    pub fn external_id(mut self, external_id: impl Into<String>) -> Self {
        self.external_id = Some(external_id.into());
        self
    }
}

/// A user as `export()` / `GET /_emulator/export` show it, OTP secret included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedUser {
    pub user_id: String,
    pub email: Option<String>,
    pub username: Option<String>,
    pub phone: Option<String>,
    pub external_id: Option<String>,
    pub otp: Option<ExportedOtp>,
    /// Whether TOTP MFA is enabled (it is once an OTP secret is bound).
    pub mfa_enabled: bool,
}

#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ExportedOtp {
    pub secret: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery_code: Option<String>,
}

impl std::fmt::Debug for ExportedOtp {
    // Test failure output must not leak OTP secrets into CI logs.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ExportedOtp")
            .field("secret", &"** redacted **")
            .field(
                "recovery_code",
                &self.recovery_code.as_ref().map(|_| "** redacted **"),
            )
            .finish()
    }
}

/// Parses seed users from a JSON array or JSON Lines (one user per line, blank lines ignored),
/// the formats of `--seed` files and `POST /_emulator/seed`.
pub fn parse_seed(bytes: &[u8]) -> Result<Vec<SeedUser>, String> {
    let text = std::str::from_utf8(bytes).map_err(|e| format!("seed is not UTF-8: {e}"))?;
    if text.trim_start().starts_with('[') {
        return serde_json::from_str(text).map_err(|e| format!("invalid seed array: {e}"));
    }
    text.lines()
        .enumerate()
        .filter(|(_, line)| !line.trim().is_empty())
        .map(|(i, line)| {
            serde_json::from_str(line).map_err(|e| format!("invalid seed line {}: {e}", i + 1))
        })
        .collect()
}
