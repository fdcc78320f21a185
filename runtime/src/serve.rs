//! Serving a ferrio app standalone: accept TCP connections, speak HTTP/1 and HTTP/2 with
//! upgrades, and shut down gracefully.

use std::convert::Infallible;
use std::future::{Future, IntoFuture};
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::time::Duration;

use http::{Request, Response};
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;

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

/// Serves `app` on `listener` until the future completes; see [`Serve`].
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
        signal: Box::pin(std::future::pending()),
    }
}

/// A running server, returned by [`serve`]; await it.
///
/// With [`with_graceful_shutdown`](Self::with_graceful_shutdown), once the signal fires the
/// server stops accepting connections, disconnects every client with the server-shutdown
/// reason (their disconnect handlers run), lets open HTTP requests finish (five seconds at
/// most), and returns.
#[must_use = "a server does nothing until awaited"]
pub struct Serve<A> {
    listener: TcpListener,
    app: A,
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
        mut signal,
    } = serve;
    let graceful = GracefulShutdown::new();
    let builder = auto::Builder::new(TokioExecutor::new());
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
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: Request<Incoming>| {
            request.extensions_mut().insert(PeerAddr(peer));
            let response = app.handle(request);
            async move { Ok::<_, Infallible>(response.await) }
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = graceful.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, %peer, "connection ended with an error");
            }
        });
    }
    drop(listener);
    app.shutdown().await;
    let _ = tokio::time::timeout(Duration::from_secs(5), graceful.shutdown()).await;
    Ok(())
}
