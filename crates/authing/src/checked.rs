//! From what a generated call returns to `Result<T, authing::Error>`: Authing's
//! `statusCode != 200` becomes [`Error::Api`], progenitor's error becomes ours.

use authing_management_gen::{progenitor_client, Envelope, ResponseValue};

use crate::envelope::RawEnvelope;
use crate::error::{decode_hook_error, unexpected_response, ApiError, Error};

/// Turn the result of any generated call into `Result<T, Error>`, treating
/// `statusCode != 200` as [`Error::Api`].
///
/// ```no_run
/// # async fn f(client: authing::ManagementClient) -> Result<(), authing::Error> {
/// use authing::ResultExt;
/// let user = client.api().get_user().user_id("6352...").send().await.checked()?;
/// println!("{:?}", user.data.email);
/// # Ok(()) }
/// ```
pub trait ResultExt<T> {
    /// Check the HTTP outcome and Authing's `statusCode`.
    fn checked(self) -> Result<T, Error>;
}

impl<T: Envelope> ResultExt<T> for Result<ResponseValue<T>, progenitor_client::Error<()>> {
    fn checked(self) -> Result<T, Error> {
        match self {
            Ok(value) => {
                let http_status = value.status().as_u16();
                let body = value.into_inner();
                if body.status_code() == 200 {
                    Ok(body)
                } else {
                    Err(Error::Api(ApiError {
                        status_code: body.status_code(),
                        api_code: body.api_code(),
                        message: body.message().to_string(),
                        request_id: body.request_id().map(str::to_string),
                        http_status,
                    }))
                }
            }
            Err(e) => Err(Error::from(e)),
        }
    }
}

impl From<progenitor_client::Error<()>> for Error {
    fn from(e: progenitor_client::Error<()>) -> Self {
        use progenitor_client::Error as P;
        match e {
            P::InvalidRequest(s) => Error::InvalidRequest(s),
            P::CommunicationError(e) | P::InvalidUpgrade(e) | P::ResponseBodyError(e) => {
                Error::transport(e)
            }
            P::ErrorResponse(rv) => Error::Http {
                status: rv.status().as_u16(),
                api: None,
                retry_after: crate::retry::retry_after(rv.headers()),
            },
            P::InvalidResponsePayload(body, err) => {
                // Error envelopes lack the `data` a success has: report them as what
                // they are rather than as a decoding failure.
                match RawEnvelope::parse(&body).and_then(|env| env.into_api_error(200)) {
                    Some(api) if api.status_code != 200 => Error::Api(api),
                    _ => Error::decode(&err, Some(body)),
                }
            }
            P::UnexpectedResponse(response) => unexpected_response(&response),
            P::Custom(s) => decode_hook_error(&s),
        }
    }
}
