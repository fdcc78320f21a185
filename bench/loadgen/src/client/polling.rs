//! Engine.IO over HTTP long-polling, as a browser does it: one keep-alive connection that
//! always has a GET pending, and another for the POSTs. Only one GET and one POST are ever in
//! flight per session.

use std::sync::Arc;

use anyhow::{Context, Result, bail};
use bytes::Bytes;
use http::header::{CONTENT_TYPE, HOST};
use http::{Method, Request, StatusCode};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::sync::{Mutex, mpsc};
use tokio::task::JoinHandle;

use super::Target;
use crate::proto::{self, EnginePacket, Handshake, Message, Record};

/// One keep-alive HTTP/1.1 connection.
struct Http1 {
    sender: SendRequest<Full<Bytes>>,
    connection: JoinHandle<()>,
    authority: String,
}

impl Http1 {
    async fn connect(target: &Target) -> Result<Self> {
        let tcp = TcpStream::connect(target.addr)
            .await
            .with_context(|| format!("TCP connect to {} failed", target.addr))?;
        tcp.set_nodelay(true)?;
        let (sender, connection) = http1::handshake(TokioIo::new(tcp))
            .await
            .context("HTTP/1.1 handshake failed")?;
        let connection = tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(Http1 {
            sender,
            connection,
            authority: target.authority.clone(),
        })
    }

    /// Sends one request and reads the whole response; anything but 200 is an error.
    async fn request(&mut self, method: Method, path: &str, body: String) -> Result<String> {
        let mut request = Request::builder()
            .method(method.clone())
            .uri(path)
            .header(HOST, &self.authority);
        if method == Method::POST {
            request = request.header(CONTENT_TYPE, "text/plain;charset=UTF-8");
        }
        let request = request.body(Full::new(Bytes::from(body)))?;
        self.sender
            .ready()
            .await
            .context("the HTTP connection closed")?;
        let response = self
            .sender
            .send_request(request)
            .await
            .with_context(|| format!("{method} {path} failed"))?;
        let status = response.status();
        let body = response
            .into_body()
            .collect()
            .await
            .with_context(|| format!("reading the body of {method} {path}"))?
            .to_bytes();
        let body = String::from_utf8(body.to_vec())
            .with_context(|| format!("{method} {path}: the body is not UTF-8"))?;
        if status != StatusCode::OK {
            bail!(
                "{method} {path} answered {status}: {}",
                proto::truncate(&body)
            );
        }
        Ok(body)
    }

    /// POSTs a payload; the server must answer `ok`.
    async fn post(&mut self, path: &str, body: String) -> Result<()> {
        let answer = self.request(Method::POST, path, body).await?;
        if answer != "ok" {
            bail!(
                "POST {path} answered {:?} instead of ok",
                proto::truncate(&answer)
            );
        }
        Ok(())
    }
}

impl Drop for Http1 {
    fn drop(&mut self) {
        self.connection.abort();
    }
}

/// An Engine.IO session over long-polling.
pub struct PollingEngine {
    handshake: Handshake,
    path: String,
    post: Arc<Mutex<Http1>>,
    inbox: mpsc::UnboundedReceiver<Result<Message>>,
    poller: JoinHandle<()>,
}

impl PollingEngine {
    /// Opens a session (the first GET) and starts the long-poll loop.
    pub async fn connect(target: &Target) -> Result<Self> {
        let mut get = Http1::connect(target).await?;
        let body = get
            .request(
                Method::GET,
                "/socket.io/?EIO=4&transport=polling",
                String::new(),
            )
            .await?;
        let (open, rest) = body
            .split_once(proto::RECORD_SEPARATOR)
            .unwrap_or((&body, ""));
        let handshake = proto::decode_open(open)?;
        let sid: String = form_urlencoded::byte_serialize(handshake.sid.as_bytes()).collect();
        let path = format!("/socket.io/?EIO=4&transport=polling&sid={sid}");
        let post = Arc::new(Mutex::new(Http1::connect(target).await?));
        let (outbox, inbox) = mpsc::unbounded_channel();
        if !rest.is_empty() {
            deliver(rest, &path, &post, &outbox).await?;
        }
        let poller = tokio::spawn(poll(get, path.clone(), post.clone(), outbox));
        Ok(PollingEngine {
            handshake,
            path,
            post,
            inbox,
            poller,
        })
    }

    /// The server's open packet.
    pub fn handshake(&self) -> &Handshake {
        &self.handshake
    }

    /// POSTs messages as one payload.
    pub async fn send(&mut self, messages: Vec<Message>) -> Result<()> {
        let body = proto::encode_payload(&messages);
        self.post.lock().await.post(&self.path, body).await
    }

    /// The next message the long-poll loop received. Cancel-safe.
    pub async fn recv(&mut self) -> Result<Message> {
        match self.inbox.recv().await {
            Some(message) => message,
            None => bail!("the long-poll loop has ended"),
        }
    }

    /// Sends the close packet.
    pub async fn close(self) -> Result<()> {
        self.post.lock().await.post(&self.path, "1".into()).await
    }
}

impl Drop for PollingEngine {
    fn drop(&mut self) {
        self.poller.abort();
    }
}

/// Keeps one GET pending at all times and forwards what arrives; the first error ends it
/// and is handed to the reader.
async fn poll(
    mut get: Http1,
    path: String,
    post: Arc<Mutex<Http1>>,
    outbox: mpsc::UnboundedSender<Result<Message>>,
) {
    loop {
        let result = async {
            let body = get.request(Method::GET, &path, String::new()).await?;
            deliver(&body, &path, &post, &outbox).await
        }
        .await;
        if let Err(error) = result {
            let _ = outbox.send(Err(error));
            return;
        }
        if outbox.is_closed() {
            return;
        }
    }
}

/// Forwards a payload's messages and answers its pings with a POST of `3`.
async fn deliver(
    body: &str,
    path: &str,
    post: &Mutex<Http1>,
    outbox: &mpsc::UnboundedSender<Result<Message>>,
) -> Result<()> {
    for record in proto::decode_payload(body)? {
        let message = match record {
            Record::Binary(data) => Message::Binary(data),
            Record::Packet(EnginePacket::Message(text)) => Message::Text(text.into()),
            Record::Packet(EnginePacket::Ping(data)) => {
                post.lock().await.post(path, format!("3{data}")).await?;
                continue;
            }
            Record::Packet(EnginePacket::Pong(_) | EnginePacket::Noop) => continue,
            Record::Packet(EnginePacket::Close) => bail!("the server closed the session"),
            Record::Packet(other) => bail!("unexpected Engine.IO packet {other:?} in a poll"),
        };
        if outbox.send(Ok(message)).is_err() {
            break;
        }
    }
    Ok(())
}
