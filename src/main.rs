use std::process::ExitCode;

fn main() -> ExitCode {
    panke::cli::run()
}
