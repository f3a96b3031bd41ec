//! Typed conveniences for TOTP enrolments: the two generated operations the
//! migration tool lives on, with their envelopes checked.

use authing_management_gen::{types, Secret};

use crate::checked::ResultExt;
use crate::client::ManagementClient;
use crate::error::Error;

/// One user's TOTP enrolment for [`ManagementClient::import_otp`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtpImport {
    /// The Authing user id.
    pub user_id: String,
    /// The base32 TOTP secret (SHA-1, 6 digits, 30 s: what Authing can carry).
    pub secret: Secret,
    /// The recovery code, if any; omitted from the request when `None`.
    pub recovery_code: Option<Secret>,
}

impl OtpImport {
    /// An item without recovery code.
    pub fn new(user_id: impl Into<String>, secret: impl Into<Secret>) -> Self {
        Self {
            user_id: user_id.into(),
            secret: secret.into(),
            recovery_code: None,
        }
    }

    /// Add a recovery code.
    pub fn with_recovery_code(mut self, code: impl Into<Secret>) -> Self {
        self.recovery_code = Some(code.into());
        self
    }
}

impl ManagementClient {
    /// Import TOTP secrets (`POST /api/v3/import-otp`) in one request. Succeeds only
    /// when Authing answers statusCode 200. Safe to repeat: importing the same secret
    /// again leaves the same state, so timeouts are retried.
    ///
    /// Authing declares no list limit for this endpoint; 50 (the limit of its other
    /// batch endpoints) is the size the `authing otp import` tool uses.
    pub async fn import_otp(&self, items: &[OtpImport]) -> Result<types::CommonResponseDto, Error> {
        if items.is_empty() {
            return Err(Error::InvalidRequest(
                "import_otp needs at least one item".into(),
            ));
        }
        let body = types::ImportOtpReqDto {
            list: items
                .iter()
                .map(|i| types::ImportOtpItemDto {
                    user_id: i.user_id.clone(),
                    otp: types::ImportOtpItemDataDto {
                        secret: i.secret.clone(),
                        recovery_code: i.recovery_code.clone(),
                    },
                })
                .collect(),
        };
        self.api().import_otp().body(body).send().await.checked()
    }

    /// Read back a user's TOTP secret (`GET /api/v3/get-otp-secret-by-user`);
    /// `None` when Authing answers without one.
    pub async fn get_otp_secret(&self, user_id: &str) -> Result<Option<Secret>, Error> {
        use types::GetOtpSecretByUserUserIdType as IdType;
        let resp = self
            .api()
            .get_otp_secret_by_user()
            .user_id(user_id)
            .user_id_type(IdType::UserId)
            .send()
            .await
            .checked()?;
        Ok(resp.data.secret)
    }
}
