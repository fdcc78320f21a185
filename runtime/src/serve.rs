//! Serving a ferrio app standalone: accept TCP connections, speak HTTP/1 and HTTP/2 with
//! upgrades, and shut down gracefully.

use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, Response, StatusCode};
use http_body_util::BodyExt;
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::{GracefulShutdown, Watcher};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpListener;
use tower::ServiceExt;
use tower::util::BoxCloneService;
use tower_service::Service;

use crate::error::BoxError;

use crate::engineio::ResponseBody;

pub(crate) type ResponseFuture = Pin<Box<dyn Future<Output = Response<ResponseBody>> + Send>>;
pub(crate) type ShutdownFuture = Pin<Box<dyn Future<Output = ()> + Send>>;

mod sealed {
    pub trait Sealed {}
}

/// A ferrio server that [`serve`] can run: [`SocketIo`](crate::SocketIo) or
/// [`EngineIo`](crate::engineio::EngineIo).
pub trait App: sealed::Sealed + Clone + Send + Sync + 'static {
    #[doc(hidden)]
    fn owns(&self, path: &str) -> bool;
    #[doc(hidden)]
    fn handle(&self, request: Request<Incoming>) -> ResponseFuture;
    #[doc(hidden)]
    fn shutdown(&self) -> ShutdownFuture;
}

impl sealed::Sealed for crate::SocketIo {}
impl<H: crate::engineio::EngineHandler> sealed::Sealed for crate::engineio::EngineIo<H> {}

/// The address of the peer of a connection accepted by [`serve`], found in every request's
/// extensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerAddr(pub SocketAddr);

/// The body of a standalone server's responses: ferrio's own, or the fallback service's.
pub type ServeBody = UnsyncBoxBody<Bytes, BoxError>;

type Fallback = BoxCloneService<Request<Incoming>, Response<ServeBody>, BoxError>;

/// Serves `app` on `listener`; see [`Serve`].
///
/// # Examples
///
/// ```no_run
/// # async fn run() -> std::io::Result<()> {
/// let io = ferrio::SocketIo::builder().build();
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
/// ferrio::serve(listener, io)
///     .with_graceful_shutdown(async { let _ = tokio::signal::ctrl_c().await; })
///     .await
/// # }
/// ```
pub fn serve<A: App>(listener: TcpListener, app: A) -> Serve<A> {
    Serve {
        listener,
        app,
        fallback: BoxCloneService::new(tower::service_fn(|_: Request<Incoming>| async {
            let mut response = Response::new(ServeBody::default());
            *response.status_mut() = StatusCode::NOT_FOUND;
            Ok(response)
        })),
        #[cfg(feature = "tls")]
        tls: None,
        signal: Box::pin(std::future::pending()),
    }
}

/// A running server, returned by [`serve`]; await it.
///
/// Requests for the app's path go to the app; every other request goes to the fallback
/// service (404 by default), so one server can serve a page, static files and Socket.IO
/// (see [`with_fallback`](Self::with_fallback)). With the `tls` feature it serves HTTPS
/// (`with_tls`).
///
/// With [`with_graceful_shutdown`](Self::with_graceful_shutdown), once the signal fires the
/// server stops accepting connections, disconnects every client with the server-shutdown
/// reason (their disconnect handlers run), lets open HTTP requests finish (five seconds at
/// most), and returns.
#[must_use = "a server does nothing until awaited"]
pub struct Serve<A> {
    listener: TcpListener,
    app: A,
    fallback: Fallback,
    #[cfg(feature = "tls")]
    tls: Option<tokio_rustls::TlsAcceptor>,
    signal: ShutdownFuture,
}

impl<A> std::fmt::Debug for Serve<A> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Serve")
            .field("listener", &self.listener)
            .finish_non_exhaustive()
    }
}

impl<A: App> Serve<A> {
    /// Shuts the server down gracefully when `signal` completes.
    pub fn with_graceful_shutdown<F>(mut self, signal: F) -> Self
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.signal = Box::pin(signal);
        self
    }

    /// Answers every request outside the app's path with this tower service: a static file
    /// directory (`tower_http::services::ServeDir`), an axum `Router`, any service.
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # async fn run(io: ferrio::SocketIo, pages: impl tower_service::Service<http::Request<hyper::body::Incoming>, Response = http::Response<http_body_util::Full<bytes::Bytes>>, Error = std::convert::Infallible, Future: Send + 'static> + Clone + Send + 'static) -> std::io::Result<()> {
    /// let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
    /// ferrio::serve(listener, io).with_fallback(pages).await
    /// # }
    /// ```
    pub fn with_fallback<S, B>(mut self, service: S) -> Self
    where
        S: Service<Request<Incoming>, Response = Response<B>> + Clone + Send + 'static,
        S::Future: Send + 'static,
        S::Error: Into<BoxError>,
        B: http_body::Body<Data = Bytes> + Send + 'static,
        B::Error: Into<BoxError>,
    {
        let service = service
            .map_response(|response: Response<B>| {
                response.map(|body| body.map_err(Into::into).boxed_unsync())
            })
            .map_err(Into::into);
        self.fallback = BoxCloneService::new(service);
        self
    }

    /// Serves HTTPS with this rustls configuration (see [`tls_config_from_pem`]).
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, config: std::sync::Arc<tokio_rustls::rustls::ServerConfig>) -> Self {
        self.tls = Some(tokio_rustls::TlsAcceptor::from(config));
        self
    }
}

/// A rustls server configuration from PEM files: the certificate chain and the private key,
/// as Flask-SocketIO's `certfile` / `keyfile`. HTTP/1.1 is offered through ALPN.
///
/// # Errors
///
/// A file cannot be read, or holds no usable certificate or key.
#[cfg(feature = "tls")]
pub fn tls_config_from_pem(
    cert: impl AsRef<std::path::Path>,
    key: impl AsRef<std::path::Path>,
) -> io::Result<std::sync::Arc<tokio_rustls::rustls::ServerConfig>> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let invalid = |what: &str, error: &dyn std::fmt::Display| {
        io::Error::new(io::ErrorKind::InvalidData, format!("{what}: {error}"))
    };
    let certs = CertificateDer::pem_file_iter(cert.as_ref())
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .map_err(|error| invalid("certificate", &error))?;
    let key = PrivateKeyDer::from_pem_file(key.as_ref())
        .map_err(|error| invalid("private key", &error))?;
    let provider = std::sync::Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let mut config = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|error| invalid("TLS versions", &error))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|error| invalid("certificate and key", &error))?;
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(std::sync::Arc::new(config))
}

impl<A: App> IntoFuture for Serve<A> {
    type Output = io::Result<()>;
    type IntoFuture = Pin<Box<dyn Future<Output = io::Result<()>> + Send>>;

    fn into_future(self) -> Self::IntoFuture {
        Box::pin(run(self))
    }
}

async fn run<A: App>(serve: Serve<A>) -> io::Result<()> {
    let Serve {
        listener,
        app,
        fallback,
        #[cfg(feature = "tls")]
        tls,
        mut signal,
    } = serve;
    let graceful = GracefulShutdown::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Usually out of file descriptors: back off instead of spinning.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut signal => break,
        };
        // Packets are small and written whole: Nagle's algorithm would only hold them back
        // (a binary packet's attachments, an ack behind an unacknowledged write).
        if let Err(error) = stream.set_nodelay(true) {
            tracing::debug!(%error, "TCP_NODELAY refused");
        }
        let app = app.clone();
        let fallback = fallback.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(PeerAddr(peer));
            let response: Pin<
                Box<dyn Future<Output = Result<Response<ServeBody>, Infallible>> + Send>,
            > = if app.owns(request.uri().path()) {
                let response = app.handle(request);
                Box::pin(async move {
                    Ok(response
                        .await
                        .map(|body| body.map_err(|never| match never {}).boxed_unsync()))
                })
            } else {
                let response = fallback.clone().oneshot(request);
                Box::pin(async move { Ok(response.await.unwrap_or_else(internal_error)) })
            };
            response
        });
        #[cfg(feature = "tls")]
        if let Some(tls) = &tls {
            let tls = tls.clone();
            let watcher = graceful.watcher();
            tokio::spawn(async move {
                match tokio::time::timeout(Duration::from_secs(10), tls.accept(stream)).await {
                    Ok(Ok(stream)) => serve_connection(stream, service, watcher, peer).await,
                    Ok(Err(error)) => tracing::debug!(%error, %peer, "TLS handshake failed"),
                    Err(_) => tracing::debug!(%peer, "TLS handshake timed out"),
                }
            });
            continue;
        }
        tokio::spawn(serve_connection(stream, service, graceful.watcher(), peer));
    }
    drop(listener);
    app.shutdown().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    Ok(())
}

/// The response to a fallback service that failed: 500, with the error logged.
fn internal_error(error: BoxError) -> Response<ServeBody> {
    tracing::warn!(%error, "fallback service failed");
    let mut response = Response::new(ServeBody::default());
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response
}

/// Speaks HTTP/1 or HTTP/2, with upgrades, on one connection until it ends or the server
/// shuts down.
async fn serve_connection<I, S>(io: I, service: S, watcher: Watcher, peer: SocketAddr)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    S: hyper::service::Service<
            Request<Incoming>,
            Response = Response<ServeBody>,
            Error = Infallible,
        > + Send
        + 'static,
    S::Future: Send + 'static,
{
    let builder = auto::Builder::new(TokioExecutor::new());
    let connection = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
    if let Err(error) = watcher.watch(connection.into_owned()).await {
        tracing::debug!(%error, %peer, "connection ended with an error");
    }
}

/// An Engine.IO server alone is an app too: its path is its own.
impl<H: crate::engineio::EngineHandler> App for crate::engineio::EngineIo<H> {
    fn owns(&self, path: &str) -> bool {
        self.engine.config.matches_path(path)
    }

    fn handle(&self, request: Request<hyper::body::Incoming>) -> ResponseFuture {
        let engine = self.engine.clone();
        Box::pin(async move { crate::engineio::handle_request(&engine, request).await })
    }

    fn shutdown(&self) -> ShutdownFuture {
        let engine = self.engine.clone();
        Box::pin(async move { engine.close_all().await })
    }
}
