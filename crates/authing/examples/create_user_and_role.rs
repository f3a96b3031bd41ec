//! Create a user and a role, give the user the role, and read the user's roles back.
//!
//! ```sh
//! AUTHING_ACCESS_KEY_ID=… AUTHING_ACCESS_KEY_SECRET=… [AUTHING_HOST=https://…] \
//!     cargo run -p authing --example create_user_and_role -- USERNAME ROLE_CODE
//! ```
//!
//! It changes the pool: run it against a test pool or the emulator
//! (`cargo run -p authing-emulator`).

use authing::{types, ManagementClient, ResultExt};
use std::process::ExitCode;

/// Every field inside an answer's `data` is optional in the SDK's types (real answers
/// leave out fields the document promises), so a value the code needs is checked.
type Result<T> = std::result::Result<T, Box<dyn std::error::Error>>;

async fn run(client: &ManagementClient, username: &str, role: &str) -> Result<()> {
    let user = client
        .api()
        .create_user()
        .body_map(|body| {
            body.username(username.to_string())
                .nickname(username.to_string())
        })
        .send()
        .await
        .checked()?;
    let user_id = user
        .data
        .user_id
        .ok_or("Authing answered without a userId")?;
    println!("created user {user_id}");

    client
        .api()
        .create_role()
        .body_map(|body| {
            body.code(role)
                .description("created by the authing example".to_string())
        })
        .send()
        .await
        .checked()?;
    println!("created role {role}");

    client
        .api()
        .assign_role()
        .body_map(|body| {
            body.code(role).targets(vec![types::TargetDto {
                target_type: types::TargetDtoTargetType::User,
                target_identifier: user_id.clone(),
            }])
        })
        .send()
        .await
        .checked()?;

    let roles = client
        .api()
        .get_user_roles()
        .user_id(&user_id)
        .send()
        .await
        .checked()?;
    for role in roles.data.list.unwrap_or_default() {
        println!("{user_id} has role {}", role.code.as_deref().unwrap_or("?"));
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [username, role] = args.as_slice() else {
        eprintln!("usage: create_user_and_role USERNAME ROLE_CODE");
        return ExitCode::from(64);
    };
    let client = match ManagementClient::from_env() {
        Ok(client) => client,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(78);
        }
    };
    match run(&client, username, role).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
