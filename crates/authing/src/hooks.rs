//! The two hook sets plugged into the generated client: [`Plain`] for the token
//! endpoint itself, [`Authed`] for every other call.

use authing_management_gen::{self as gen, BoxFuture};

use crate::auth::Auth;
use crate::error::encode_hook_error;
use crate::transport::Transport;

/// Headers and retries, no authentication.
pub(crate) struct Plain(pub Transport);

/// Headers, authentication and retries.
pub(crate) struct Authed {
    pub transport: Transport,
    pub auth: Auth,
}

impl gen::Hooks for Plain {
    fn pre<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        self.0.add_headers(request);
        Box::pin(async { Ok(()) })
    }

    fn exec<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(self.0.execute(client, request, operation, None))
    }
}

impl gen::Hooks for Authed {
    fn pre<'a>(
        &'a self,
        request: &'a mut reqwest::Request,
        _: &'static str,
    ) -> BoxFuture<'a, Result<(), String>> {
        Box::pin(async move {
            self.transport.add_headers(request);
            self.auth
                .apply(request)
                .await
                .map_err(|e| encode_hook_error(&e))
        })
    }

    fn exec<'a>(
        &'a self,
        client: &'a reqwest::Client,
        request: reqwest::Request,
        operation: &'static str,
    ) -> BoxFuture<'a, reqwest::Result<reqwest::Response>> {
        Box::pin(
            self.transport
                .execute(client, request, operation, Some(&self.auth)),
        )
    }
}
