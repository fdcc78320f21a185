//! Serving the socket.io client script beside the server, as Node's `serveClient` does.

use std::fmt;
use std::io;
use std::path::Path;

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use crate::engineio::ResponseBody;

/// The socket.io JavaScript client bundle, served at `<path>socket.io.js` (and its source map
/// at `<path>socket.io.js.map`) so that pages work without a CDN.
///
/// ferrio does not ship the bundle: install `socket.io-client` (2.x or 4.x) from npm and point
/// at its `dist/socket.io.js`. Pages may load the CDN copy instead
/// (`https://cdnjs.cloudflare.com/ajax/libs/socket.io/4.8.1/socket.io.js`).
///
/// # Examples
///
/// ```no_run
/// use ferrio::{ClientScript, SocketIo};
///
/// # fn f() -> std::io::Result<()> {
/// let script = ClientScript::from_file("node_modules/socket.io-client/dist/socket.io.js")?;
/// let io = SocketIo::builder().serve_client(script).build();
/// # let _ = io; Ok(()) }
/// ```
#[derive(Clone)]
pub struct ClientScript {
    js: Bytes,
    map: Option<Bytes>,
}

impl ClientScript {
    /// Reads the bundle, and its `.map` beside it if there is one.
    ///
    /// # Errors
    ///
    /// The bundle cannot be read.
    pub fn from_file(path: impl AsRef<Path>) -> io::Result<Self> {
        let path = path.as_ref();
        let js = std::fs::read(path).map_err(|error| {
            io::Error::new(
                error.kind(),
                format!(
                    "cannot read the socket.io client bundle {}: {error}",
                    path.display()
                ),
            )
        })?;
        let mut map_path = path.as_os_str().to_owned();
        map_path.push(".map");
        let map = std::fs::read(map_path).ok().map(Bytes::from);
        Ok(Self { js: js.into(), map })
    }

    /// A bundle already in memory.
    pub fn from_bytes(js: impl Into<Bytes>) -> Self {
        Self {
            js: js.into(),
            map: None,
        }
    }

    /// The response for a request path under the mount path, if it names the script or its map.
    pub(crate) fn respond(&self, file: &str) -> Option<Response<ResponseBody>> {
        let (body, content_type) = match file {
            "socket.io.js" => (self.js.clone(), "application/javascript; charset=utf-8"),
            "socket.io.js.map" => (self.map.clone()?, "application/json"),
            _ => return None,
        };
        let mut response = Response::new(ResponseBody::new(body));
        *response.status_mut() = StatusCode::OK;
        let headers = response.headers_mut();
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        headers.insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("public, max-age=3600"),
        );
        Some(response)
    }
}

impl fmt::Debug for ClientScript {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientScript")
            .field("bytes", &self.js.len())
            .field("map", &self.map.is_some())
            .finish()
    }
}
