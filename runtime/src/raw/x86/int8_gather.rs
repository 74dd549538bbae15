//! The int8 convolution's gather (`crate::quant::conv2d`): the receptive
//! fields of a block of output pixels copied from the padded input, one
//! row of a field at a time, for the tiles of [`super::int8_tile`].

/// The shape of [`gather_words`]' copies (all in bytes).
#[derive(Clone, Copy, Debug)]
pub(crate) struct Words {
    /// Channels per field, and the distance between their planes in `xp`.
    pub n: usize,
    pub plane: usize,
    /// Rows per channel, and the distance between them in `xp`.
    pub kh: usize,
    pub step: usize,
    /// Bytes per row (1 to 8).
    pub kw: usize,
    /// The distance between fields in `cols` (at least `n kh kw`).
    pub k4: usize,
    /// Output pixels per row, and the distance in `xp` between the windows
    /// of two pixels one row (at least `(out_w - 1) col`) or one column
    /// apart.
    pub out_w: usize,
    pub row: usize,
    pub col: usize,
}

/// The tiles' gather of the receptive fields of `count` output pixels from
/// `(oy, ox)` on (row-major): field `j`, at `cols[j * k4..]`, holds the
/// rows `r = c * kh + ky` (`c < n`, `ky < kh`), its bytes `r * kw .. r *
/// kw + kw` copied from `xp[oy' row + ox' col + c plane + ky step..]` for
/// the pixel's `(oy', ox')`, each as one 8-byte word, so each row also
/// writes up to 7 bytes after it (which the next row or field overwrites,
/// or the caller's layout leaves free). Plain moves: no instruction set
/// beyond x86-64's.
///
/// Panics unless every word read lies in `xp` and every word written in
/// `cols` (the last pixel's last row is the furthest of both).
pub(crate) fn gather_words(
    xp: &[i8],
    s: &Words,
    (oy, ox): (usize, usize),
    count: usize,
    cols: &mut [i8],
) {
    if count == 0 || s.n == 0 || s.kh == 0 {
        return;
    }
    let last = ox + count - 1;
    let (ly, lx) = (oy + last / s.out_w, last % s.out_w);
    let read = || {
        let window = ly.checked_mul(s.row)?.checked_add(lx.checked_mul(s.col)?)?;
        let row = (s.n - 1)
            .checked_mul(s.plane)?
            .checked_add((s.kh - 1).checked_mul(s.step)?)?;
        window.checked_add(row)?.checked_add(8)
    };
    let write = || {
        let field = s.n.checked_mul(s.kh)?.checked_mul(s.kw)?;
        (field <= s.k4).then_some(())?;
        (count - 1)
            .checked_mul(s.k4)?
            .checked_add(field - s.kw)?
            .checked_add(8)
    };
    assert!(
        (1..=8).contains(&s.kw)
            && ox < s.out_w
            && (s.out_w - 1).checked_mul(s.col).is_some_and(|w| w <= s.row)
            && read().is_some_and(|end| end <= xp.len())
            && write().is_some_and(|end| end <= cols.len()),
        "gather_words: {count} fields of {s:?} do not fit"
    );
    let (xp, cols) = (xp.as_ptr(), cols.as_mut_ptr());
    let (mut y, mut x) = (oy, ox);
    for j in 0..count {
        let mut pos = j * s.k4;
        for c in 0..s.n {
            let mut at = y * s.row + x * s.col + c * s.plane;
            for _ in 0..s.kh {
                // SAFETY: pixels come in row-major order and `(out_w - 1)
                // col <= row`, so a pixel's window starts at most where
                // the last one's does, and `at` is at most the last
                // pixel's last row: the 8 bytes at `at` are inside `xp`
                // (checked above). `pos <= (count - 1) k4 + n kh kw - kw`,
                // so the 8 bytes at `pos` are inside `cols` (checked
                // above). Unaligned reads and writes of `u64`, any bits
                // valid.
                unsafe {
                    let word = xp.add(at).cast::<u64>().read_unaligned();
                    cols.add(pos).cast::<u64>().write_unaligned(word);
                }
                pos += s.kw;
                at += s.step;
            }
        }
        x += 1;
        if x == s.out_w {
            (y, x) = (y + 1, 0);
        }
    }
}
