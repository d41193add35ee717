//! Folders that hold personal data or secrets are created owner-only.

use std::path::Path;

/// Creates `dir` (and its parents) if missing; a folder panke creates is
/// mode 0700. An existing folder is left as the operator set it.
pub fn ensure_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.as_os_str().is_empty() || dir.exists() {
        return Ok(());
    }
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}
