//! The Admin UI's front end, served by the server itself so that it works offline: the built
//! files of the `@socket.io/admin-ui` npm package, with the page prefilled to connect here.

use std::collections::HashMap;
use std::io;
use std::path::Path;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::engineio::ResponseBody;

/// The Admin UI's front end (`ui/dist` of the `@socket.io/admin-ui` npm package), served at
/// a path of the server (`/admin-ui/` by default), its connection form prefilled with this
/// server's address, path and admin namespace.
///
/// ferrio does not ship the UI: install `@socket.io/admin-ui` from npm. Its page loads the
/// Roboto font and the Material Design icons from CDNs; the font is left out, and
/// [`icons`](Self::icons) serves the icons from the `@mdi/font` npm package instead, so that
/// nothing is fetched from outside.
///
/// # Examples
///
/// ```no_run
/// use ferrio::SocketIo;
/// use ferrio::admin::{AdminUi, Auth, Instrument};
///
/// # fn f() -> std::io::Result<()> {
/// let ui = AdminUi::from_dir("node_modules/@socket.io/admin-ui/ui/dist")?
///     .icons("node_modules/@mdi/font")?;
/// let io = SocketIo::builder()
///     .instrument(Instrument::new(Auth::None))
///     .serve_admin_ui(ui)
///     .build();
/// # let _ = io; Ok(()) }
/// ```
#[derive(Clone)]
pub struct AdminUi {
    mount: String,
    namespace: String,
    /// The page as installed.
    index: String,
    /// Every other file, by its path under the mount path.
    files: HashMap<String, Bytes>,
    icons: bool,
}

/// Where the page loads its icons from when they are served here.
const ICONS_CSS: &str = "mdi/css/materialdesignicons.min.css";

impl AdminUi {
    /// Reads the built UI (`index.html` and its `css/`, `js/` and `img/`; source maps are
    /// left out).
    ///
    /// # Errors
    ///
    /// The folder or one of its files cannot be read, or it holds no `index.html`.
    pub fn from_dir(dir: impl AsRef<Path>) -> io::Result<Self> {
        let dir = dir.as_ref();
        let mut files = read_tree(dir, "")?;
        let index = files
            .remove("index.html")
            .ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::NotFound,
                    format!("{} holds no index.html: install @socket.io/admin-ui from npm and give its ui/dist", dir.display()),
                )
            })
            .map(|page| String::from_utf8_lossy(&page).into_owned())?;
        Ok(Self {
            mount: "/admin-ui/".to_owned(),
            namespace: "/admin".to_owned(),
            index,
            files,
            icons: false,
        })
    }

    /// Serves the Material Design icons the page uses from the `@mdi/font` npm package (its
    /// `css/` and `fonts/`), instead of its CDN.
    ///
    /// # Errors
    ///
    /// The package's files cannot be read.
    pub fn icons(mut self, mdi_font: impl AsRef<Path>) -> io::Result<Self> {
        let dir = mdi_font.as_ref();
        for folder in ["css", "fonts"] {
            let files = read_tree(&dir.join(folder), &format!("mdi/{folder}/"))?;
            self.files.extend(files);
        }
        if !self.files.contains_key(ICONS_CSS) {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} holds no css/materialdesignicons.min.css", dir.display()),
            ));
        }
        self.icons = true;
        Ok(self)
    }

    /// The path the UI is served at (`/admin-ui/` by default; a trailing `/` is added).
    pub fn at(mut self, mount: impl Into<String>) -> Self {
        let mut mount = mount.into();
        if !mount.ends_with('/') {
            mount.push('/');
        }
        self.mount = mount;
        self
    }

    /// The admin namespace the page connects to (`/admin` by default, as
    /// [`Instrument::namespace`](crate::admin::Instrument::namespace)).
    pub fn namespace(mut self, namespace: impl Into<String>) -> Self {
        self.namespace = namespace.into();
        self
    }

    /// Whether the UI answers requests for `path`.
    pub(crate) fn owns(&self, path: &str) -> bool {
        path.starts_with(&self.mount) || path == self.mount.trim_end_matches('/')
    }

    /// The response for a request path, if the UI owns it; `engine_path` is where the
    /// server's Socket.IO endpoint is mounted, which the page is prefilled with.
    pub(crate) fn respond(&self, path: &str, engine_path: &str) -> Option<Response<ResponseBody>> {
        if !self.owns(path) {
            return None;
        }
        let file = path.strip_prefix(&self.mount).unwrap_or_default();
        if file.is_empty() || file == "index.html" {
            let page = self.page(engine_path);
            return Some(respond(
                StatusCode::OK,
                "text/html; charset=utf-8",
                page.into(),
            ));
        }
        Some(match self.files.get(file) {
            Some(body) => respond(StatusCode::OK, content_type(file), body.clone()),
            None => respond(
                StatusCode::NOT_FOUND,
                "text/plain; charset=utf-8",
                Bytes::from_static(b"not found"),
            ),
        })
    }

    /// The page, its outside font left out, its icons served here when they are, and a
    /// script that fills the connection form with this server unless the UI saved another.
    fn page(&self, engine_path: &str) -> String {
        let mut page = self.index.clone();
        if let Some(start) =
            page.find("<link rel=\"stylesheet\" href=\"https://fonts.googleapis.com")
            && let Some(length) = page[start..].find('>')
        {
            page.replace_range(start..=start + length, "");
        }
        if self.icons {
            page = page.replace(
                "https://cdn.jsdelivr.net/npm/@mdi/font@latest/css/materialdesignicons.min.css",
                ICONS_CSS,
            );
        }
        let settings = serde_json::json!({
            "path": engine_path.trim_end_matches('/'),
            "namespace": self.namespace,
        });
        let prefill = format!(
            "<script>(function(s){{if(!localStorage.getItem(\"server_url\")){{localStorage.setItem(\"server_url\",location.origin);localStorage.setItem(\"path\",s.path);localStorage.setItem(\"namespace\",s.namespace);}}}})({settings});</script>"
        );
        match page.find("</head>") {
            Some(head) => page.insert_str(head, &prefill),
            None => page.insert_str(0, &prefill),
        }
        page
    }
}

impl std::fmt::Debug for AdminUi {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AdminUi")
            .field("mount", &self.mount)
            .field("namespace", &self.namespace)
            .field("files", &self.files.len())
            .field("icons", &self.icons)
            .finish()
    }
}

/// The files under `dir`, by their path prefixed with `prefix`; source maps are left out.
fn read_tree(dir: &Path, prefix: &str) -> io::Result<HashMap<String, Bytes>> {
    let mut files = HashMap::new();
    let entries = std::fs::read_dir(dir).map_err(|error| {
        io::Error::new(
            error.kind(),
            format!(
                "cannot read the admin UI's files in {}: {error}",
                dir.display()
            ),
        )
    })?;
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        if entry.file_type()?.is_dir() {
            files.extend(read_tree(&path, &format!("{prefix}{name}/"))?);
        } else if !name.ends_with(".map") {
            files.insert(format!("{prefix}{name}"), std::fs::read(&path)?.into());
        }
    }
    Ok(files)
}

fn content_type(file: &str) -> &'static str {
    match file.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" => "application/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "woff2" => "font/woff2",
        "woff" => "font/woff",
        "ttf" => "font/ttf",
        "eot" => "application/vnd.ms-fontobject",
        _ => "application/octet-stream",
    }
}

fn respond(status: StatusCode, content_type: &'static str, body: Bytes) -> Response<ResponseBody> {
    let mut response = Response::new(ResponseBody::new(body));
    *response.status_mut() = status;
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    response
}
