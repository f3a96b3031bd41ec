//! `authing completions SHELL`: the completion script for bash, zsh, fish, elvish or
//! PowerShell, with every command and flag and, for `authing api`, the operation
//! names (SDK method names with their summaries, and operationIds).

use std::io::Write;

use clap::CommandFactory;
use clap_complete::{Generator, Shell};

use crate::cli::{Cli, CompletionsArgs};
use crate::exit;
use crate::output::stderr_line;

pub fn run(args: CompletionsArgs) -> i32 {
    match write(args.shell, &mut std::io::stdout().lock()) {
        Ok(()) => exit::OK,
        // `authing completions bash | head` is not an error.
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => exit::OK,
        Err(e) => {
            stderr_line(format!("error: cannot write the completion script: {e}"));
            exit::CONFIG
        }
    }
}

fn write(shell: Shell, out: &mut impl Write) -> std::io::Result<()> {
    let mut command = Cli::command();
    command.set_bin_name("authing");
    command.build();
    shell.try_generate(&command, out)?;
    // clap_complete's fish script completes flags' values but not positional ones.
    if shell == Shell::Fish {
        for op in authing::json::OPERATIONS {
            for (name, about) in [(op.name, op.summary), (op.operation_id, op.path)] {
                writeln!(
                    out,
                    "complete -c authing -n \"__fish_authing_using_subcommand api\" -a '{name}' -d '{}'",
                    about.replace('\\', "\\\\").replace('\'', "\\'")
                )?;
            }
        }
    }
    Ok(())
}
