//! Builds the Tauri context from the root `tauri.conf.json` and declares the app's commands so
//! the capability file can grant exactly those.

fn main() {
    println!("cargo:rerun-if-changed=../tauri.conf.json");
    println!("cargo:rerun-if-changed=../ui");
    println!("cargo:rerun-if-changed=../icons");
    let attrs = tauri_build::Attributes::new()
        .config_path("../tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(&[
            "list_accounts",
            "refresh_accounts",
            "account_overview",
            "lookup_status",
            "login_password",
            "select_account",
            "logout",
            "get_settings",
            "set_settings",
            "oauth_info",
            "oauth_start",
            "oauth_cancel",
            "app_passwords_list",
            "app_password_create",
            "app_password_revoke",
            "account_deactivate",
            "account_activate",
            "handle_domains",
            "handle_plan",
            "handle_update",
            "account_delete_request",
            "account_delete",
            "devices_sign_in",
            "devices_list",
            "device_revoke",
            "apps_list",
            "app_revoke",
            "open_account_page",
            "email_info",
            "email_request_confirmation",
            "email_confirm",
            "email_request_update",
            "email_update",
            "email_two_factor",
            "password_strength",
            "password_reset_request",
            "password_reset",
            "service_auth_online",
            "service_auth_offline",
            "missing_blobs",
            "repair_blobs",
            "backup_account",
            "cancel_job",
            "first_paint",
        ]));
    tauri_build::try_build(attrs).expect("tauri build configuration is valid");
}
