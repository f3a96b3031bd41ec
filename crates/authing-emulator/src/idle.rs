//! Connections that stop moving are closed: a client that connects and sends nothing,
//! stops halfway through a request, or stops reading the answer holds a socket (and
//! a task) only for [`crate::Config::idle_timeout`], so 500 slow clients cannot hold
//! the emulator's sockets for ever. axum's server sets no such timeout itself.
//!
//! A connection whose answer the emulator delays on purpose (a fault's latency) is
//! not idle, however long the delay: hyper reads on while a handler runs, to notice
//! a client that hangs up, and that read must not time out. The handler holds
//! [`Busy::hold`] for its connection meanwhile.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::time::{Instant, Sleep};

/// A listener whose connections time out when idle.
pub(crate) struct IdleListener {
    pub inner: TcpListener,
    pub idle: Duration,
}

impl axum::serve::Listener for IdleListener {
    type Io = IdleIo<TcpStream>;
    type Addr = std::net::SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (io, addr) = axum::serve::Listener::accept(&mut self.inner).await;
        let io = IdleIo {
            inner: io,
            idle: self.idle,
            deadline: Box::pin(tokio::time::sleep(self.idle)),
            busy: Busy::default(),
        };
        (io, addr)
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// How many of a connection's requests are being delayed; handlers find it as
/// `ConnectInfo<Busy>` in the request's extensions.
#[derive(Clone, Debug, Default)]
pub(crate) struct Busy(Arc<AtomicUsize>);

impl Busy {
    /// The connection is not idle until the guard is dropped.
    pub fn hold(&self) -> BusyGuard {
        self.0.fetch_add(1, Ordering::SeqCst);
        BusyGuard(self.0.clone())
    }

    fn is_busy(&self) -> bool {
        self.0.load(Ordering::SeqCst) > 0
    }
}

pub(crate) struct BusyGuard(Arc<AtomicUsize>);

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, IdleListener>>
    for Busy
{
    fn connect_info(stream: axum::serve::IncomingStream<'_, IdleListener>) -> Self {
        stream.io().busy.clone()
    }
}

/// A stream that fails once no byte has moved either way for `idle` while a read or
/// write waits and no answer is being delayed; hyper then drops the connection.
pub(crate) struct IdleIo<T> {
    inner: T,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
    busy: Busy,
}

impl<T> IdleIo<T> {
    fn progressed(&mut self) {
        self.deadline.as_mut().reset(Instant::now() + self.idle);
    }

    /// Called while the inner stream is pending: an error once the deadline passed
    /// with no answer being delayed. While one is, the deadline is moved on (and
    /// polled, so that it wakes this connection to look again).
    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.deadline.as_mut().poll(cx).is_pending() {
            return false;
        }
        if !self.busy.is_busy() {
            return true;
        }
        self.progressed();
        let _ = self.deadline.as_mut().poll(cx);
        false
    }
}

fn timed_out() -> io::Error {
    io::Error::new(io::ErrorKind::TimedOut, "idle connection closed")
}

impl<T: AsyncRead + Unpin> AsyncRead for IdleIo<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(Ok(())) if buf.filled().len() > before => {
                self.progressed();
                Poll::Ready(Ok(()))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for IdleIo<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match Pin::new(&mut self.inner).poll_write(cx, buf) {
            Poll::Ready(Ok(n)) if n > 0 => {
                self.progressed();
                Poll::Ready(Ok(n))
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(timed_out())),
            other => other,
        }
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
