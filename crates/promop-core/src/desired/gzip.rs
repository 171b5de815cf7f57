//! Gzip of generated configurations, as the reference stores them, at a
//! cost that follows what changed rather than the configuration's size.
//!
//! The operator compresses the same configuration again and again (every
//! reconcile of a workload whose configuration did not change, the one
//! after its own write included): the last outputs are kept, by a 128-bit
//! hash and the length of their input.
//!
//! A large configuration (tens of MB: a tenth of a second to compress) is
//! compressed in chunks cut before top-level list items (`- job_name: …`)
//! chosen by a hash of their first line, so that the cuts do not move when
//! a job changes. Each chunk is compressed on its own (a full flush ends
//! it: the next starts with an empty window) and kept by its hash; the
//! output is one gzip member made of the chunks' blocks, its CRC combined
//! from theirs. A change recompresses the chunk it falls in. Each chunk
//! starts without context, which costs about one job's worth: chunks of
//! hundreds of KB lose a tenth.
use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, LazyLock, Mutex, MutexGuard};

use flate2::write::GzEncoder;
use flate2::{Compress, Compression, FlushCompress};

/// The configurations of this many workloads are kept (each at most 1 MiB
/// compressed: a Secret's limit).
const KEPT: usize = 16;
/// Inputs from this size on are compressed in chunks.
const CHUNKED_FROM: usize = 1 << 20;
/// One candidate cut in this many becomes a cut (chunks of about 600 KB
/// for scrape jobs of a few KB: at 5,000 monitors, 11 % larger than one
/// piece, and 9 ms instead of 90 after a change)…
const CUT_ONE_IN: u64 = 256;
/// …if the chunk is this large at least (small jobs would make small
/// chunks, each starting without context).
const MIN_CHUNK: usize = 256 << 10;

/// An input's hash and length.
type Key = (u128, usize);

/// The key of the concatenation of `slices`.
fn key(slices: &[&[u8]]) -> Key {
    joined(slices, xxhash_rust::xxh3::xxh3_128)
}

/// `f` of the concatenation of `slices`, and its length. Slices are joined
/// in a buffer kept by the thread: hashing in one pass is several times
/// faster than feeding a streaming hasher a few KB at a time.
fn joined<T>(slices: &[&[u8]], f: impl FnOnce(&[u8]) -> T) -> (T, usize) {
    thread_local! {
        static BUFFER: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    if let [single] = slices {
        return (f(single), single.len());
    }
    BUFFER.with_borrow_mut(|buffer| {
        buffer.clear();
        slices.iter().for_each(|s| buffer.extend_from_slice(s));
        let out = (f(buffer), buffer.len());
        // A chunk is about 600 KB; an unusual one is not kept.
        if buffer.capacity() > 16 * MIN_CHUNK {
            *buffer = Vec::new();
        }
        out
    })
}

/// Gzip as the reference stores the configuration: nothing at all for an
/// empty one.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    gzip_parts(&[data])
}

/// [`gzip`] of the concatenation of `parts`, without concatenating them: the
/// operator holds a large configuration as the fragments it was assembled
/// from, and joining tens of MB cost more than the rest of the compression.
pub fn gzip_parts(parts: &[&[u8]]) -> Vec<u8> {
    let input = Rope::new(parts);
    if input.len == 0 {
        return Vec::new();
    }
    // A large input is known by its chunks' keys: hashing it whole as well
    // would read it once more.
    let pieces = match input.len < CHUNKED_FROM {
        true => Vec::new(),
        false => (cut(&input).into_iter())
            .map(|(from, to)| {
                let piece = input.slices(from, to);
                let key = key(&piece);
                (piece, key)
            })
            .collect(),
    };
    let key = match pieces.is_empty() {
        true => key(&input.parts),
        false => {
            let keys: Vec<u8> = (pieces.iter())
                .flat_map(|(_, (hash, len))| [hash.to_le_bytes(), (*len as u128).to_le_bytes()])
                .flatten()
                .collect();
            (xxhash_rust::xxh3::xxh3_128(&keys), input.len)
        }
    };
    if let Some((_, gz)) = recent().iter().find(|(k, _)| *k == key) {
        return gz.clone();
    }
    let gz = match pieces.is_empty() {
        true => whole(&input.parts),
        false => chunked(&pieces, input.len),
    };
    let mut kept = recent();
    if kept.len() == KEPT {
        kept.remove(0);
    }
    kept.push((key, gz.clone()));
    gz
}

/// Whether two outputs of [`gzip`] (both among those it keeps) hold
/// different inputs, told without decompressing: its compression is
/// deterministic, so different bytes mean different inputs. `None` when
/// either is not a kept output (written by another compressor, or long ago).
pub fn kept_gzips_differ(a: &[u8], b: &[u8]) -> Option<bool> {
    let kept = recent();
    let known = |gz: &[u8]| kept.iter().any(|(_, out)| out.as_slice() == gz);
    (known(a) && known(b)).then(|| a != b)
}

/// The last outputs, by their input's key.
type Recent = Vec<(Key, Vec<u8>)>;

fn recent() -> MutexGuard<'static, Recent> {
    static RECENT: LazyLock<Mutex<Recent>> = LazyLock::new(Mutex::default);
    RECENT.lock().unwrap_or_else(|e| e.into_inner())
}

fn whole(parts: &[&[u8]]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    parts.iter().for_each(|part| drop(encoder.write_all(part)));
    encoder.finish().unwrap_or_default()
}

/// A chunk compressed: deflate blocks ending in a full flush.
struct Chunk {
    deflated: Vec<u8>,
    crc: u32,
}

#[derive(Default)]
struct Chunks {
    /// Each with the output that used it last ([`Chunks::output`]).
    by_key: HashMap<Key, (Arc<Chunk>, u64)>,
    /// Outputs made so far.
    output: u64,
}

fn chunks() -> MutexGuard<'static, Chunks> {
    static CHUNKS: LazyLock<Mutex<Chunks>> = LazyLock::new(Mutex::default);
    CHUNKS.lock().unwrap_or_else(|e| e.into_inner())
}

/// The gzip header of flate2's encoder: no name, no time, unknown OS.
const HEADER: [u8; 10] = [0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
/// An empty final block with fixed codes: the end of the deflate stream.
const LAST_BLOCK: [u8; 2] = [0x03, 0x00];

/// The gzip of the input cut in `pieces` (each in slices, with its key),
/// `len` bytes.
fn chunked(pieces: &[(Vec<&[u8]>, Key)], len: usize) -> Vec<u8> {
    let mut kept = chunks();
    kept.output += 1;
    let output = kept.output;
    let mut out = HEADER.to_vec();
    let mut crc = crc32fast::Hasher::new();
    for (piece, key) in pieces {
        let (key, piece_len) = (*key, key.1);
        let chunk = match kept.by_key.get(&key) {
            Some((chunk, _)) => chunk.clone(),
            None => Arc::new(deflate(&piece.concat())),
        };
        out.extend_from_slice(&chunk.deflated);
        let piece_crc = crc32fast::Hasher::new_with_initial_len(chunk.crc, piece_len as u64);
        crc.combine(&piece_crc);
        kept.by_key.insert(key, (chunk, output));
    }
    // Chunks that none of the last kept outputs used.
    kept.by_key
        .retain(|_, (_, used)| *used + KEPT as u64 > output);
    out.extend_from_slice(&LAST_BLOCK);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE: the input's length modulo 2^32.
    out.extend_from_slice(&(len as u32).to_le_bytes());
    out
}

/// `piece` as raw deflate blocks at the default level, ending in a full
/// flush (byte-aligned, window reset), and its CRC.
fn deflate(piece: &[u8]) -> Chunk {
    let mut compress = Compress::new(Compression::default(), false);
    let mut deflated = Vec::with_capacity(piece.len() / 4 + 64);
    loop {
        let read = compress.total_in() as usize;
        // Only fails on a stream used after its end; this one is fresh.
        let _ = compress.compress_vec(&piece[read..], &mut deflated, FlushCompress::Full);
        let done = compress.total_in() as usize == piece.len();
        if done && deflated.len() < deflated.capacity() {
            break;
        }
        deflated.reserve(piece.len() / 4 + 64);
    }
    Chunk {
        deflated,
        crc: crc32fast::hash(piece),
    }
}

/// The input cut before some of the lines that start a top-level list item
/// (`- `): those whose line hashes to a multiple of [`CUT_ONE_IN`], at
/// [`MIN_CHUNK`] from the previous cut at least; as `(from, to)` offsets.
/// The cuts depend on those lines and hardly on what lies between them: a
/// cut moves only when a change brings a chunk's size across [`MIN_CHUNK`],
/// and the next ones fall back in place at the first cut that stays. They
/// do not depend on how the input is split in parts.
fn cut(input: &Rope<'_>) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for line_start in input.list_items() {
        if line_start - start < MIN_CHUNK {
            continue;
        }
        let line_end = input.line_end(line_start);
        let line = input.slices(line_start, line_end);
        let (hash, _) = joined(&line, xxhash_rust::xxh3::xxh3_64);
        if hash.is_multiple_of(CUT_ONE_IN) {
            pieces.push((start, line_start));
            start = line_start;
        }
    }
    pieces.push((start, input.len));
    pieces
}

/// Byte slices read as their concatenation.
struct Rope<'a> {
    /// The non-empty parts, and where each starts.
    parts: Vec<&'a [u8]>,
    starts: Vec<usize>,
    len: usize,
}

impl<'a> Rope<'a> {
    fn new(parts: &[&'a [u8]]) -> Self {
        let parts: Vec<&[u8]> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
        let mut starts = Vec::with_capacity(parts.len());
        let mut len = 0;
        for part in &parts {
            starts.push(len);
            len += part.len();
        }
        Self { parts, starts, len }
    }

    /// The index of the part holding byte `at` (< len).
    fn part(&self, at: usize) -> usize {
        self.starts.partition_point(|&start| start <= at) - 1
    }

    fn byte(&self, at: usize) -> u8 {
        let i = self.part(at);
        self.parts[i][at - self.starts[i]]
    }

    /// The bytes `from..to`, as slices of the parts.
    fn slices(&self, from: usize, to: usize) -> Vec<&'a [u8]> {
        let mut slices = Vec::new();
        if from >= to {
            return slices;
        }
        for i in self.part(from)..self.parts.len() {
            let start = self.starts[i];
            if start >= to {
                break;
            }
            let part = self.parts[i];
            slices.push(&part[from.saturating_sub(start)..(to - start).min(part.len())]);
        }
        slices
    }

    /// Offsets of the lines that start with `- ` (the first line excluded),
    /// in order.
    fn list_items(&self) -> Vec<usize> {
        let is_item = |at: usize| {
            at > 0
                && at + 1 < self.len
                && self.byte(at - 1) == b'\n'
                && self.byte(at) == b'-'
                && self.byte(at + 1) == b' '
        };
        let finder = memchr::memmem::Finder::new(b"\n- ");
        let mut items = Vec::new();
        for (i, part) in self.parts.iter().enumerate() {
            let start = self.starts[i];
            // Items whose `\n- ` spans this part's start.
            if start > 0 {
                items.extend([start - 1, start].into_iter().filter(|&at| is_item(at)));
            }
            let within = finder.find_iter(part).map(|at| start + at + 1);
            items.extend(within);
        }
        items.sort_unstable();
        items.dedup();
        items
    }

    /// The offset of the line break ending the line at `from`, or the end.
    fn line_end(&self, from: usize) -> usize {
        for i in self.part(from)..self.parts.len() {
            let start = self.starts[i];
            let skip = from.saturating_sub(start);
            if let Some(n) = memchr::memchr(b'\n', &self.parts[i][skip..]) {
                return start + skip + n;
            }
        }
        self.len
    }
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    fn chunked_whole(data: &[u8]) -> Vec<u8> {
        let pieces: Vec<_> = (pieces(data).into_iter())
            .map(|p| (vec![p], key(&[p])))
            .collect();
        chunked(&pieces, data.len())
    }

    fn pieces(data: &[u8]) -> Vec<&[u8]> {
        let cuts = cut(&Rope::new(&[data]));
        cuts.into_iter().map(|(from, to)| &data[from..to]).collect()
    }

    fn gunzip(gz: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(gz)
            .read_to_end(&mut out)
            .expect("a valid gzip stream");
        out
    }

    /// A configuration of `jobs` scrape jobs, the `changed`th one different.
    fn config(jobs: usize, changed: usize) -> String {
        let mut text = String::from("global:\n  scrape_interval: 30s\nscrape_configs:\n");
        for i in 0..jobs {
            let marker = if i == changed { "changed" } else { "same" };
            text.push_str(&format!(
                "- job_name: serviceMonitor/ns-{i}/app/0\n  honor_labels: false\n  relabel_configs:\n  - source_labels: [job]\n    target_label: {marker}\n    replacement: value-{i}\n"
            ));
        }
        text
    }

    #[test]
    fn chunked_output_is_one_valid_gzip_of_the_input() {
        let text = config(20_000, usize::MAX);
        assert!(text.len() >= CHUNKED_FROM);
        let pieces = pieces(text.as_bytes());
        assert!(pieces.len() > 5, "{} pieces", pieces.len());
        assert_eq!(pieces.concat(), text.as_bytes());
        let gz = chunked_whole(text.as_bytes());
        assert_eq!(gunzip(&gz), text.as_bytes());
        // Within a few percent of compressing the whole at once.
        let one = whole(&[text.as_bytes()]);
        assert!(
            gz.len() < one.len() * 11 / 10,
            "{} vs {}",
            gz.len(),
            one.len()
        );
    }

    #[test]
    fn a_change_recompresses_its_chunk_only_and_cuts_stay() {
        let before = config(20_000, usize::MAX);
        let after = config(20_000, 12_345);
        let (a, b) = (pieces(before.as_bytes()), pieces(after.as_bytes()));
        assert_eq!(a.len(), b.len());
        let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        assert_eq!(differing, 1);
        assert_eq!(gunzip(&chunked_whole(after.as_bytes())), after.as_bytes());
    }

    #[test]
    fn kept_gzips_differ_only_for_different_inputs_both_kept() {
        let a = gzip(b"scrape_configs: [a]");
        let b = gzip(b"scrape_configs: [b]");
        assert_eq!(kept_gzips_differ(&a, &b), Some(true));
        assert_eq!(
            kept_gzips_differ(&a, &gzip(b"scrape_configs: [a]")),
            Some(false)
        );
        // Another compressor's output of the same input: unknown.
        let mut other = GzEncoder::new(Vec::new(), Compression::fast());
        other.write_all(b"scrape_configs: [a]").unwrap();
        assert_eq!(kept_gzips_differ(&a, &other.finish().unwrap()), None);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]
        /// However the input is split in parts (fragments, empty ones,
        /// single bytes across `\n- `), the output is the whole input's.
        #[test]
        fn parts_compress_as_their_concatenation(
            jobs in 1usize..12_000,
            changed in 0usize..12_000,
            cuts in proptest::collection::vec(0usize..2_000_000, 0..40),
        ) {
            let text = config(jobs, changed);
            let data = text.as_bytes();
            let mut at: Vec<usize> = cuts.into_iter().map(|c| c % (data.len() + 1)).collect();
            // Splits right around some list items, and empty parts.
            at.extend(memchr::memmem::find_iter(data, b"\n- ").step_by(97).flat_map(|i| [i, i + 1, i + 2]));
            // And right around the cuts themselves.
            let whole_cuts = cut(&Rope::new(&[data]));
            at.extend(whole_cuts.iter().filter(|c| c.0 >= 2).flat_map(|(c, _)| [c - 2, c - 1, *c, c + 1]));
            at.extend([0, 0, data.len()]);
            at.sort_unstable();
            let mut parts = Vec::new();
            let mut from = 0;
            for to in at {
                parts.push(&data[from..to]);
                from = to;
            }
            parts.push(&data[from..]);
            proptest::prop_assert_eq!(cut(&Rope::new(&parts)), whole_cuts);
            let gz = gzip_parts(&parts);
            proptest::prop_assert_eq!(&gz, &gzip(data));
            proptest::prop_assert_eq!(gunzip(&gz), data);
        }
    }
}
