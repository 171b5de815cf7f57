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

fn key(data: &[u8]) -> Key {
    (xxhash_rust::xxh3::xxh3_128(data), data.len())
}

/// Gzip as the reference stores the configuration: nothing at all for an
/// empty one.
pub fn gzip(data: &[u8]) -> Vec<u8> {
    if data.is_empty() {
        return Vec::new();
    }
    let key = key(data);
    if let Some((_, gz)) = recent().iter().find(|(k, _)| *k == key) {
        return gz.clone();
    }
    let gz = match data.len() < CHUNKED_FROM {
        true => whole(data),
        false => chunked(data),
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

fn whole(data: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    // Writing to a Vec cannot fail.
    let _ = encoder.write_all(data);
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

fn chunked(data: &[u8]) -> Vec<u8> {
    let mut kept = chunks();
    kept.output += 1;
    let output = kept.output;
    let mut out = HEADER.to_vec();
    let mut crc = crc32fast::Hasher::new();
    for piece in cut(data) {
        let key = key(piece);
        let chunk = match kept.by_key.get(&key) {
            Some((chunk, _)) => chunk.clone(),
            None => Arc::new(deflate(piece)),
        };
        out.extend_from_slice(&chunk.deflated);
        let piece_crc = crc32fast::Hasher::new_with_initial_len(chunk.crc, piece.len() as u64);
        crc.combine(&piece_crc);
        kept.by_key.insert(key, (chunk, output));
    }
    // Chunks that none of the last kept outputs used.
    kept.by_key
        .retain(|_, (_, used)| *used + KEPT as u64 > output);
    out.extend_from_slice(&LAST_BLOCK);
    out.extend_from_slice(&crc.finalize().to_le_bytes());
    // ISIZE: the input's length modulo 2^32.
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
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

/// `data` cut before some of the lines that start a top-level list item
/// (`- `): those whose line hashes to a multiple of [`CUT_ONE_IN`], at
/// [`MIN_CHUNK`] from the previous cut at least. The cuts depend on those
/// lines and hardly on what lies between them: a cut moves only when a
/// change brings a chunk's size across [`MIN_CHUNK`], and the next ones
/// fall back in place at the first cut that stays.
fn cut(data: &[u8]) -> Vec<&[u8]> {
    let mut pieces = Vec::new();
    let mut start = 0;
    for at in memchr::memmem::find_iter(data, b"\n- ") {
        let line_start = at + 1;
        let line_end =
            memchr::memchr(b'\n', &data[line_start..]).map_or(data.len(), |n| line_start + n);
        let line = &data[line_start..line_end];
        if line_start - start >= MIN_CHUNK
            && xxhash_rust::xxh3::xxh3_64(line).is_multiple_of(CUT_ONE_IN)
        {
            pieces.push(&data[start..line_start]);
            start = line_start;
        }
    }
    pieces.push(&data[start..]);
    pieces
}

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

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
        let pieces = cut(text.as_bytes());
        assert!(pieces.len() > 5, "{} pieces", pieces.len());
        assert_eq!(pieces.concat(), text.as_bytes());
        let gz = chunked(text.as_bytes());
        assert_eq!(gunzip(&gz), text.as_bytes());
        // Within a few percent of compressing the whole at once.
        let one = whole(text.as_bytes());
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
        let (a, b) = (cut(before.as_bytes()), cut(after.as_bytes()));
        assert_eq!(a.len(), b.len());
        let differing = a.iter().zip(&b).filter(|(x, y)| x != y).count();
        assert_eq!(differing, 1);
        assert_eq!(gunzip(&chunked(after.as_bytes())), after.as_bytes());
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
}
