//! The capped byte streams under the archive reader: hashes and counts the compressed input,
//! decodes concatenated gzip members, and stops the moment the unpacked size or the
//! compression ratio goes over its limit. It never interprets tar.

use std::cell::{Cell, RefCell};
use std::io::{self, BufRead, Chain, Read};
use std::rc::Rc;

use flate2::bufread::GzDecoder;
use sha2::{Digest, Sha256};

use super::Limits;

/// Which limit a stream hit; the reader turns it into the matching `ArchiveError`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Trip {
    Input,
    Unpacked,
    Ratio,
}

/// Byte counts shared by the compressed and the unpacked side, so the ratio can be checked on
/// every read. A trip is remembered here because `tar` may wrap or replace the I/O error we
/// return, and the reader must still say which limit was hit.
#[derive(Debug)]
pub(super) struct Meter {
    limits: Limits,
    compressed: Cell<u64>,
    unpacked: Cell<u64>,
    trip: Cell<Option<Trip>>,
    source_error: RefCell<Option<io::Error>>,
}

impl Meter {
    pub(super) fn new(limits: &Limits) -> Rc<Self> {
        Rc::new(Self {
            limits: limits.clone(),
            compressed: Cell::new(0),
            unpacked: Cell::new(0),
            trip: Cell::new(None),
            source_error: RefCell::new(None),
        })
    }

    pub(super) fn limits(&self) -> &Limits {
        &self.limits
    }

    pub(super) fn trip(&self) -> Option<Trip> {
        self.trip.get()
    }

    pub(super) fn take_source_error(&self) -> Option<io::Error> {
        self.source_error.borrow_mut().take()
    }

    fn add_compressed(&self, n: usize) -> io::Result<()> {
        let total = self.compressed.get().saturating_add(n as u64);
        self.compressed.set(total);
        if total > self.limits.max_compressed_bytes {
            return Err(self.set_trip(Trip::Input));
        }
        Ok(())
    }

    fn add_unpacked(&self, n: usize) -> io::Result<()> {
        let total = self.unpacked.get().saturating_add(n as u64);
        self.unpacked.set(total);
        if total > self.limits.max_unpacked_bytes {
            return Err(self.set_trip(Trip::Unpacked));
        }
        let allowed = self.compressed.get().saturating_mul(self.limits.max_ratio);
        if total > self.limits.ratio_grace_bytes && total > allowed {
            return Err(self.set_trip(Trip::Ratio));
        }
        Ok(())
    }

    fn set_trip(&self, trip: Trip) -> io::Error {
        if self.trip.get().is_none() {
            self.trip.set(Some(trip));
        }
        io::Error::other(format!("archive limit reached: {trip:?}"))
    }
}

/// The caller's reader, hashed and counted as it is read.
pub(super) struct HashingReader<R> {
    inner: R,
    hasher: Sha256,
    meter: Rc<Meter>,
}

impl<R: Read> HashingReader<R> {
    pub(super) fn new(inner: R, meter: Rc<Meter>) -> Self {
        Self {
            inner,
            hasher: Sha256::new(),
            meter,
        }
    }

    /// The SHA-256 of every byte read so far.
    pub(super) fn finish(self) -> [u8; 32] {
        self.hasher.finalize().into()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = match self.inner.read(buf) {
            Ok(n) => n,
            Err(e) => {
                // Keep the caller's error for the report; hand `tar` a copy to unwind with.
                let copy = io::Error::new(e.kind(), e.to_string());
                *self.meter.source_error.borrow_mut() = Some(e);
                return Err(copy);
            }
        };
        self.hasher.update(&buf[..n]);
        self.meter.add_compressed(n)?;
        Ok(n)
    }
}

/// Decodes gzip members one after another, as gzip(1) and Go's reader do for concatenated
/// files. Bytes after the last member that do not start a new member are trailing garbage:
/// like gzip(1) we stop there and leave them unread (the caller still hashes them).
pub(super) struct GzipMembers<R> {
    state: MemberState<R>,
}

/// The compressed reader behind the bytes of a member's magic number already consumed (see
/// [`member_prefix`]); empty for the first member.
type Prefixed<R> = Chain<&'static [u8], R>;

enum MemberState<R> {
    Member(Box<GzDecoder<Prefixed<R>>>),
    Done(R),
    /// Only seen if a transition was interrupted; reads as end of stream.
    Empty,
}

impl<R: BufRead> GzipMembers<R> {
    pub(super) fn new(inner: R) -> Self {
        Self {
            // The capped reader itself: the one sanctioned use (clippy.toml).
            #[allow(clippy::disallowed_methods)]
            state: MemberState::Member(Box::new(GzDecoder::new((&[][..]).chain(inner)))),
        }
    }

    /// The compressed reader, positioned after the last byte the decoder consumed.
    pub(super) fn into_inner(self) -> Option<R> {
        match self.state {
            // The prefix was consumed with the member's header.
            MemberState::Member(decoder) => Some(decoder.into_inner().into_inner().1),
            MemberState::Done(inner) => Some(inner),
            MemberState::Empty => None,
        }
    }

    /// Called when a member ends: starts the next one if the input holds one.
    fn next_member(&mut self) -> io::Result<bool> {
        let MemberState::Member(decoder) = std::mem::replace(&mut self.state, MemberState::Empty)
        else {
            return Ok(false);
        };
        let mut inner = decoder.into_inner().into_inner().1;
        let prefix = member_prefix(&mut inner)?;
        let more = prefix.is_some();
        self.state = match prefix {
            Some(prefix) => {
                // The capped reader itself (clippy.toml).
                #[allow(clippy::disallowed_methods)]
                MemberState::Member(Box::new(GzDecoder::new(prefix.chain(inner))))
            }
            None => MemberState::Done(inner),
        };
        Ok(more)
    }
}

impl<R: BufRead> Read for GzipMembers<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let MemberState::Member(decoder) = &mut self.state else {
                return Ok(0);
            };
            let n = decoder.read(buf)?;
            if n > 0 || !self.next_member()? {
                return Ok(n);
            }
        }
    }
}

/// `Some` when the next bytes are a gzip magic number (0x1f 0x8b), with the bytes of it this
/// had to consume to see it whole. Found by fuzzing: the buffer may hold only the 0x1f (the
/// source returned the input in small reads), and taking that alone for a new member made
/// trailing garbage starting with 0x1f an error or not depending on read boundaries. So look
/// at the byte after it; bytes consumed here were already hashed when read.
fn member_prefix(inner: &mut impl BufRead) -> io::Result<Option<&'static [u8]>> {
    const MAGIC_START: &[u8] = &[0x1f];
    match inner.fill_buf()? {
        [0x1f, 0x8b, ..] => Ok(Some(&[])),
        [0x1f] => {
            inner.consume(1);
            let whole = inner.fill_buf()?.first() == Some(&0x8b);
            Ok(whole.then_some(MAGIC_START))
        }
        _ => Ok(None),
    }
}

/// The decompressed stream, counted: every read checks the unpacked total and the ratio, so a
/// gzip bomb stops after at most one buffer past the limit.
pub(super) struct UnpackedCounter<R> {
    inner: R,
    meter: Rc<Meter>,
}

impl<R: Read> UnpackedCounter<R> {
    pub(super) fn new(inner: R, meter: Rc<Meter>) -> Self {
        Self { inner, meter }
    }

    pub(super) fn into_inner(self) -> R {
        self.inner
    }
}

impl<R: Read> Read for UnpackedCounter<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.meter.add_unpacked(n)?;
        Ok(n)
    }
}
