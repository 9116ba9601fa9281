//! The X side of the test desktop: finding the app's window and closing it as a window manager
//! would (Xvfb has no window manager). Plain Xlib through x11-dl, so no extra X tools.

/// Runs `f` on the top-level X window titled `title` on `display`; `None` when there is none.
/// Plain Xlib (through x11-dl), so the tests need no extra X tools.
fn with_x_window<T>(
    display: &str,
    title: &str,
    f: impl FnOnce(&x11_dl::xlib::Xlib, *mut x11_dl::xlib::Display, x11_dl::xlib::Window) -> T,
) -> Option<T> {
    use std::ffi::{CStr, CString};
    let x = x11_dl::xlib::Xlib::open().expect("libX11");
    let name = CString::new(display).unwrap();
    // SAFETY: plain Xlib calls on a display this function opens and closes; every pointer Xlib
    // returns is checked and freed with XFree.
    unsafe {
        let dpy = (x.XOpenDisplay)(name.as_ptr());
        assert!(!dpy.is_null(), "open display {display}");
        let root = (x.XDefaultRootWindow)(dpy);
        let (mut r, mut p, mut kids, mut n) = (0, 0, std::ptr::null_mut(), 0u32);
        (x.XQueryTree)(dpy, root, &mut r, &mut p, &mut kids, &mut n);
        let mut target = None;
        for i in 0..n as usize {
            let w = *kids.add(i);
            let mut wname = std::ptr::null_mut();
            if (x.XFetchName)(dpy, w, &mut wname) != 0 && !wname.is_null() {
                if CStr::from_ptr(wname).to_string_lossy() == title {
                    target = Some(w);
                }
                (x.XFree)(wname.cast());
            }
        }
        if !kids.is_null() {
            (x.XFree)(kids.cast());
        }
        let out = target.map(|w| f(&x, dpy, w));
        (x.XCloseDisplay)(dpy);
        out
    }
}

/// Whether the window titled `title` is mapped and viewable.
pub fn window_viewable(display: &str, title: &str) -> bool {
    with_x_window(display, title, |x, dpy, window| {
        // SAFETY: a valid display and window from `with_x_window`; the struct is plain data.
        unsafe {
            let mut attrs: x11_dl::xlib::XWindowAttributes = std::mem::zeroed();
            (x.XGetWindowAttributes)(dpy, window, &mut attrs) != 0
                && attrs.map_state == x11_dl::xlib::IsViewable
        }
    })
    .unwrap_or(false)
}

/// Asks the window titled `title` to close, as a window manager does when its close button is
/// pressed: a WM_DELETE_WINDOW client message. Returns false when no such window exists.
pub fn close_window_like_a_window_manager(display: &str, title: &str) -> bool {
    use std::ffi::CString;
    use x11_dl::xlib;
    with_x_window(display, title, |x, dpy, window| {
        // SAFETY: a valid display and window from `with_x_window`; the event is plain data.
        unsafe {
            let atom = |s: &str| {
                let s = CString::new(s).unwrap();
                (x.XInternAtom)(dpy, s.as_ptr(), xlib::False)
            };
            let mut data = xlib::ClientMessageData::new();
            data.set_long(0, atom("WM_DELETE_WINDOW") as std::os::raw::c_long);
            data.set_long(1, xlib::CurrentTime as std::os::raw::c_long);
            let mut event = xlib::XEvent {
                client_message: xlib::XClientMessageEvent {
                    type_: xlib::ClientMessage,
                    serial: 0,
                    send_event: xlib::True,
                    display: dpy,
                    window,
                    message_type: atom("WM_PROTOCOLS"),
                    format: 32,
                    data,
                },
            };
            (x.XSendEvent)(dpy, window, xlib::False, xlib::NoEventMask, &mut event);
            (x.XFlush)(dpy);
        }
    })
    .is_some()
}
