//! The tray icon: every account's state at a glance, the worst one in the icon, quick actions.

use std::sync::OnceLock;
use std::time::Duration;

use stratos_core::attention::{self, Level};
use stratos_core::base::health::Severity;
use stratos_core::store::state::State;
use tauri::image::Image;
use tauri::menu::{Menu, MenuBuilder, MenuEvent, MenuItemBuilder};
use tauri::tray::{MouseButton, MouseButtonState, TrayIconBuilder, TrayIconEvent};
use tauri::{AppHandle, Manager, Runtime};

use crate::AppState;
use crate::first_paint::FirstPaint;

const TRAY_ID: &str = "stratos";

/// How the tray brings the window up. The window belongs to `shell`, which sits above the tray
/// (it tells the tray about account changes), so it hands these in rather than the tray calling
/// it back.
#[derive(Clone, Copy)]
pub struct WindowActions {
    /// Brings the window to the front.
    pub show: fn(&AppHandle),
    /// Brings it to the front on a screen, about an account when one is given.
    pub navigate: fn(&AppHandle, &str, Option<&str>),
}

static TRAY_HOST: OnceLock<bool> = OnceLock::new();

/// Whether a tray host shows our icon; without one, closing the window must quit.
pub fn available<R: Runtime>(_app: &AppHandle<R>) -> bool {
    *TRAY_HOST.get_or_init(detect_tray_host)
}

/// Linux trays are StatusNotifier hosts found on the session bus; without a watcher (plain Xvfb,
/// some window managers) the icon cannot appear, so say so once in the log.
#[cfg(target_os = "linux")]
fn detect_tray_host() -> bool {
    use std::time::Duration;
    let found = dbus::blocking::Connection::new_session()
        .ok()
        .and_then(|c| {
            let proxy = c.with_proxy(
                "org.freedesktop.DBus",
                "/org/freedesktop/DBus",
                Duration::from_secs(2),
            );
            let (has,): (bool,) = proxy
                .method_call(
                    "org.freedesktop.DBus",
                    "NameHasOwner",
                    ("org.kde.StatusNotifierWatcher",),
                )
                .ok()?;
            Some(has)
        })
        .unwrap_or(false);
    if !found {
        log::warn!(
            "no system tray host found (no StatusNotifierWatcher on the session bus); Stratos runs without a visible tray icon and closing the window quits"
        );
    }
    found
}

#[cfg(not(target_os = "linux"))]
fn detect_tray_host() -> bool {
    true
}

fn icon(severity: Severity) -> Image<'static> {
    let bytes: &[u8] = match severity {
        Severity::Ok => include_bytes!("../../icons/tray.png"),
        Severity::Warning => include_bytes!("../../icons/tray-warning.png"),
        Severity::Error => include_bytes!("../../icons/tray-error.png"),
    };
    Image::from_bytes(bytes).expect("tray icons are valid PNGs")
}

fn tooltip(state: &State) -> String {
    let now = chrono::Utc::now();
    let mut troubled: Vec<String> = attention::of_state(state, now)
        .into_iter()
        .filter(|a| a.level > Level::Advice)
        .map(|a| a.did)
        .collect();
    troubled.sort();
    troubled.dedup();
    match (state.accounts.len(), troubled.len()) {
        (0, _) => "Stratos: no accounts".to_owned(),
        (n, 0) => format!("Stratos: {n} account{} OK", if n == 1 { "" } else { "s" }),
        (n, k) => format!("Stratos: {k} of {n} accounts need attention"),
    }
}

/// "5 min ago", "3 h ago", "2 days ago": how old a backup is, in the menu's few words.
fn age(d: chrono::Duration) -> String {
    match (d.num_minutes(), d.num_hours(), d.num_days()) {
        (m, _, _) if m < 1 => "just now".to_owned(),
        (m, 0, _) => format!("{m} min ago"),
        (_, h, 0) => format!("{h} h ago"),
        (_, _, 1) => "1 day ago".to_owned(),
        (_, _, days) => format!("{days} days ago"),
    }
}

/// The most items of "what needs attention" the menu lists; the overview has them all.
const ATTENTION_IN_MENU: usize = 5;

/// One line of the tray menu: an item (id, label, clickable) or a separator.
#[derive(Debug, Clone, PartialEq)]
enum Entry {
    Item(String, String, bool),
    Separator,
}

/// What the menu shows for `state`, decided apart from building it, so an unchanged menu is not
/// rebuilt (a rebuild renumbers the items a tray host holds, and costs a round on the bus).
fn entries(state: &State) -> Vec<Entry> {
    let item = |id: String, label: String| Entry::Item(id, label, true);
    let mut out = Vec::new();
    if state.accounts.is_empty() {
        out.push(Entry::Item("none".into(), "No accounts yet".into(), false));
    }
    let all = attention::of_state(state, chrono::Utc::now());
    // What needs attention first (warnings and errors only: advice waits for the overview).
    let urgent: Vec<_> = all.iter().filter(|a| a.level > Level::Advice).collect();
    for a in urgent.iter().take(ATTENTION_IN_MENU) {
        let mark = if a.level == Level::Error {
            "⛔"
        } else {
            "⚠"
        };
        out.push(item(
            format!("acct:{}", a.did),
            format!("{mark} {}", a.title),
        ));
    }
    // The quick status of the identity guard: accounts no key of the person's protects.
    let unguarded = all.iter().filter(|a| a.kind == "no_recovery_key").count();
    if unguarded > 0 {
        let label = format!(
            "{unguarded} account{} without a recovery key",
            if unguarded == 1 { "" } else { "s" }
        );
        out.push(Entry::Item("recovery-keys".into(), label, false));
    }
    if !urgent.is_empty() || unguarded > 0 {
        out.push(Entry::Separator);
    }
    for a in &state.accounts {
        let h = a
            .health
            .unwrap_or(stratos_core::base::health::Health::Unknown);
        let dot = match h.severity() {
            Severity::Ok => "●",
            Severity::Warning => "◐",
            Severity::Error => "○",
        };
        let backup = a
            .last_backup_at
            .map(|at| format!(" · backed up {}", age(chrono::Utc::now() - at)))
            .unwrap_or_default();
        out.push(item(
            format!("acct:{}", a.did),
            format!("{dot} {} — {}{backup}", a.handle, h.label()),
        ));
    }
    out.push(Entry::Separator);
    out.push(item("open".into(), "Open Stratos".into()));
    out.push(item("refresh".into(), "Refresh now".into()));
    out.push(item("add".into(), "Add account…".into()));
    out.push(Entry::Separator);
    out.push(item("quit".into(), "Quit Stratos".into()));
    out
}

fn menu<R: Runtime>(app: &AppHandle<R>, entries: &[Entry]) -> tauri::Result<Menu<R>> {
    let mut builder = MenuBuilder::new(app);
    for entry in entries {
        builder = match entry {
            Entry::Item(id, label, enabled) => builder.item(
                &MenuItemBuilder::with_id(id.as_str(), label.as_str())
                    .enabled(*enabled)
                    .build(app)?,
            ),
            Entry::Separator => builder.separator(),
        };
    }
    builder.build()
}

fn on_menu(app: &AppHandle, event: MenuEvent, window: WindowActions) {
    let id = event.id().as_ref();
    log::info!("tray menu: {id}");
    match id {
        "open" => (window.show)(app),
        "refresh" => {
            app.state::<AppState>().refresh_now.notify_one();
            app.state::<AppState>().backups_now.notify_one();
        }
        "add" => (window.navigate)(app, "add-account", None),
        "quit" => app.exit(0),
        other => {
            if let Some(did) = other.strip_prefix("acct:") {
                if let Ok(accounts) = &app.state::<AppState>().current()
                    && let Err(e) = accounts.select(did)
                {
                    log::warn!("could not select {did}: {e}");
                }
                (window.navigate)(app, "overview", Some(did));
            }
        }
    }
}

/// The longest the tray icon waits for the window's first paint (a page that never reports).
const AFTER_FIRST_PAINT_AT_THE_LATEST: Duration = Duration::from_secs(2);

/// Creates the tray icon once the window has painted its first screen: looking for a tray host,
/// building the icon and menu and exporting them on the session bus take the window's thread,
/// which also serves the page's files, for about 10 ms. A window that starts hidden (at login)
/// has nothing to wait for: its tray icon is the only way in, so it is created at once.
pub fn install_after_first_paint(
    app: &AppHandle,
    window_shown: bool,
    window: WindowActions,
) -> tauri::Result<()> {
    if !window_shown {
        return install(app, window);
    }
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        app.state::<FirstPaint>()
            .wait(AFTER_FIRST_PAINT_AT_THE_LATEST)
            .await;
        let handle = app.clone();
        let queued = app.run_on_main_thread(move || {
            if let Err(e) = install(&handle, window) {
                log::error!("could not create the tray icon: {e}");
            }
        });
        if let Err(e) = queued {
            log::error!("could not create the tray icon: {e}");
        }
    });
    Ok(())
}

/// Creates the tray icon with the current account list.
fn install(app: &AppHandle, window: WindowActions) -> tauri::Result<()> {
    available(app);
    let state = app
        .state::<AppState>()
        .current()
        .ok()
        .and_then(|a| a.state().ok())
        .unwrap_or_default();
    let shown = (
        entries(&state),
        attention::worst(&state, chrono::Utc::now()),
        tooltip(&state),
    );
    TrayIconBuilder::with_id(TRAY_ID)
        .icon(icon(shown.1))
        .tooltip(&shown.2)
        .menu(&menu(app, &shown.0)?)
        .show_menu_on_left_click(false)
        .on_menu_event(move |app, event| on_menu(app, event, window))
        .on_tray_icon_event(move |tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                (window.show)(tray.app_handle());
            }
        })
        .build(app)?;
    *SHOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(shown);
    Ok(())
}

/// Rebuilds the menu, icon and tooltip after any change of accounts or states.
pub fn update(app: &AppHandle, state: &State) {
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return;
    };
    let shown = (
        entries(state),
        attention::worst(state, chrono::Utc::now()),
        tooltip(state),
    );
    let mut last = SHOWN
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if last.as_ref() == Some(&shown) {
        return;
    }
    let (items, severity, tip) = &shown;
    let result = menu(app, items).and_then(|m| {
        tray.set_menu(Some(m))?;
        tray.set_icon(Some(icon(*severity)))?;
        tray.set_tooltip(Some(tip.clone()))
    });
    match result {
        Ok(()) => *last = Some(shown),
        Err(e) => log::warn!("could not update the tray: {e}"),
    }
}

/// What the tray shows now (menu, icon, tooltip), so [`update`] skips a rebuild that would change
/// nothing.
static SHOWN: std::sync::Mutex<Option<(Vec<Entry>, Severity, String)>> =
    std::sync::Mutex::new(None);
