//! Tabular data from CSV files (feature `std`): [`CsvOptions`] reads a file
//! into a [`Table`] of `f32` features and one target per row, a class label
//! (`Table<usize>`) or `K` regression values (`Table<[f32; K]>`); a table is
//! a [`Dataset`], so the trainer reads it as it is.
//! [`Table::split_every`] cuts a train/test split by a fixed rule and
//! [`Standardize`] rescales the features with statistics fitted on the
//! training rows, saved next to the model.
//!
//! ```
//! use staticnet::data::csv::{CsvOptions, Standardize};
//! use staticnet::data::Dataset;
//!
//! // `data/tabular/` in the repository: 569 rows, 30 features, `target` last.
//! let path = "data/tabular/breast_cancer.csv";
//! let table = CsvOptions::new().target("target").load_classes(path)?;
//! assert_eq!((table.len(), table.input_len(), table.classes()), (569, 30, 2));
//!
//! // Every 5th row (indices 4, 9, 14, ...) is held out for testing.
//! let (mut train, mut test) = table.split_every(5);
//! assert_eq!((train.len(), test.len()), (456, 113));
//!
//! // Mean and standard deviation of the training rows only.
//! let stats = Standardize::fit(&train);
//! stats.apply(&mut train)?;
//! stats.apply(&mut test)?;
//! # let dir = tempfile::tempdir()?;
//! # let stats_path = dir.path().join("stats.bin");
//! stats.save_file(&stats_path)?; // beside the weights: inference needs them
//! assert_eq!(Standardize::load_file(&stats_path, 30)?, stats);
//!
//! let (mut x, mut y) = (vec![0.0f32; 2 * 30], [0usize; 2]);
//! train.fill(&[0, 1], &mut x, &mut y);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! **Reading.** The file is read into memory whole, then parsed by the
//! `csv` crate. Fields are separated by `,` (or [`delimiter`](CsvOptions::delimiter)),
//! may be quoted (`"a, b"`), and are trimmed of surrounding whitespace; blank
//! lines are skipped and a UTF-8 byte order mark is ignored. The first row is
//! a header of column names unless [`header(false)`](CsvOptions::header).
//! Every row must have as many fields as the first. Feature and regression
//! values are parsed as `f32` (Rust's `str::parse`: `1`, `-0.5`, `1e-3`);
//! an empty field, NaN, an infinity or a value too large for `f32` is an
//! error. Errors ([`CsvError`]) name the file, the line as an editor
//! numbers it (from 1, the header included) and the column (from 1, and
//! its name).
//!
//! **Columns.** The target is the last column unless
//! [`target`](CsvOptions::target) or [`targets`](CsvOptions::targets) says
//! otherwise (the last `K` columns for `[f32; K]`); the features are all the
//! other columns in file order unless [`features`](CsvOptions::features)
//! lists them (in the order given, which is the order of the inputs).
//! [`Column`]s are named by header text or by position from 0.
//!
//! **Class labels** ([`Labels`]): integers used as they are (the default),
//! or text mapped to `0..k` in order of first appearance or in sorted order.
//!
//! **The split rule** of [`Table::split_every(k)`](Table::split_every): the
//! data row at index `i` (from 0, the header not counted) goes to the test
//! table if `i % k == k - 1`, else to the training table, both in file
//! order. `scripts/sklearn_reference.py` applies the same rule in Python.

use super::{Dataset, Samples};
use std::borrow::ToOwned;
use std::collections::{HashMap, HashSet};
use std::error::Error;
use std::fmt;
use std::format;
use std::fs::File;
use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::string::{String, ToString};
use std::vec::Vec;

/// A column of the file: by header text or by position.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Column {
    /// The column whose header field is this text (the first, if several
    /// are); needs a header row.
    Name(String),
    /// The column at this position, counted from 0 as in a slice (error
    /// messages count columns from 1, as spreadsheets do).
    Index(usize),
}

impl From<&str> for Column {
    fn from(name: &str) -> Self {
        Column::Name(name.to_owned())
    }
}

impl From<String> for Column {
    fn from(name: String) -> Self {
        Column::Name(name)
    }
}

impl From<usize> for Column {
    fn from(index: usize) -> Self {
        Column::Index(index)
    }
}

/// How the target column of a classification table is read.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Labels {
    /// Integers `0`, `1`, ... used as they are: the table has `max + 1`
    /// classes and no [`class_names`](Table::class_names).
    #[default]
    Integers,
    /// Any text; classes numbered `0..k` in order of first appearance, top
    /// to bottom.
    FirstSeen,
    /// Any text; classes numbered `0..k` in sorted order of their text
    /// (Unicode code points, as Python's `sorted` on `str` and
    /// scikit-learn's `LabelEncoder` order them).
    Sorted,
}

/// What is wrong with one field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Problem {
    /// Nothing between the delimiters.
    Empty,
    /// Not a number `f32` can parse.
    NotANumber,
    /// NaN, an infinity, or a number beyond `f32`'s range.
    NotFinite,
    /// Not an integer from 0 (with [`Labels::Integers`]).
    NotAClassLabel,
    /// Not valid UTF-8.
    NotUtf8,
}

/// Why a CSV file could not be read into a [`Table`]. Every variant names
/// the file; `line` is the line an editor shows (from 1, the header
/// included), `column` counts from 1.
#[derive(Debug)]
pub enum CsvError {
    /// The file could not be opened or read.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file holds no data row (it is empty, or has only a header).
    Empty {
        /// The file.
        path: PathBuf,
    },
    /// A row has another number of fields than the first row.
    FieldCount {
        /// The file.
        path: PathBuf,
        /// The row's line.
        line: u64,
        /// Fields in the first row.
        expected: usize,
        /// The first row's line.
        first_line: u64,
        /// Fields in this row.
        found: usize,
    },
    /// A field is not a value of its column.
    Value {
        /// The file.
        path: PathBuf,
        /// The field's line.
        line: u64,
        /// The field's column, from 1.
        column: usize,
        /// The column's name (`column N` without a header).
        name: String,
        /// The field, as it is in the file (lossily decoded).
        value: String,
        /// What is wrong with it.
        problem: Problem,
    },
    /// No header field has a selected name.
    UnknownColumn {
        /// The file.
        path: PathBuf,
        /// The name asked for.
        name: String,
        /// The header's names.
        header: Vec<String>,
    },
    /// A column is selected by name, but the file is read without a header.
    NameWithoutHeader {
        /// The file.
        path: PathBuf,
        /// The name asked for.
        name: String,
    },
    /// A column is selected by a position past the last column.
    ColumnIndex {
        /// The file.
        path: PathBuf,
        /// The position asked for, from 0.
        index: usize,
        /// Columns in the file.
        columns: usize,
    },
    /// A column is selected both as a feature and as a target.
    Overlap {
        /// The file.
        path: PathBuf,
        /// The column, from 1.
        column: usize,
        /// Its name.
        name: String,
    },
    /// No column is left for the features.
    NoFeatures {
        /// The file.
        path: PathBuf,
    },
    /// The number of target columns is not the `K` of `[f32; K]` targets
    /// (or `K` is 0, or a class label was given more than one column).
    TargetCount {
        /// The file.
        path: PathBuf,
        /// Values per target.
        expected: usize,
        /// Target columns selected (or present, for the default).
        found: usize,
    },
}

/// At most this many characters of a bad field go into a message.
const SHOWN: usize = 40;

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Problem::Empty => "an empty field",
            Problem::NotANumber => "not a number",
            Problem::NotFinite => "not a finite `f32`",
            Problem::NotAClassLabel => "not a class label (an integer from 0)",
            Problem::NotUtf8 => "not valid UTF-8",
        })
    }
}

impl fmt::Display for CsvError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CsvError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            CsvError::Empty { path } => write!(f, "{}: no data rows", path.display()),
            CsvError::FieldCount {
                path,
                line,
                expected,
                first_line,
                found,
            } => write!(
                f,
                "{}: line {line}: expected {expected} fields (as on line {first_line}), \
                 found {found}",
                path.display()
            ),
            CsvError::Value {
                path,
                line,
                column,
                name,
                value,
                problem,
            } => {
                write!(
                    f,
                    "{}: line {line}, column {column} (`{name}`): ",
                    path.display()
                )?;
                let shown: String = value.chars().take(SHOWN).collect();
                let more = if value.chars().count() > SHOWN {
                    "..."
                } else {
                    ""
                };
                match problem {
                    Problem::Empty => write!(f, "expected a value, found an empty field"),
                    Problem::NotUtf8 => write!(f, "{problem}: `{shown}{more}`"),
                    Problem::NotANumber => write!(f, "expected a number, found `{shown}{more}`"),
                    Problem::NotFinite => {
                        write!(f, "expected a finite `f32`, found `{shown}{more}`")
                    }
                    Problem::NotAClassLabel => write!(
                        f,
                        "expected a class label (an integer from 0; `Labels::FirstSeen` or \
                         `Labels::Sorted` read text), found `{shown}{more}`"
                    ),
                }
            }
            CsvError::UnknownColumn { path, name, header } => {
                write!(
                    f,
                    "{}: no column named `{name}`; the header has ",
                    path.display()
                )?;
                for (i, h) in header.iter().enumerate() {
                    let sep = if i == 0 { "" } else { ", " };
                    write!(f, "{sep}`{h}`")?;
                }
                Ok(())
            }
            CsvError::NameWithoutHeader { path, name } => write!(
                f,
                "{}: column `{name}` is selected by name, but the file is read without a \
                 header (`header(false)`): select it by index",
                path.display()
            ),
            CsvError::ColumnIndex {
                path,
                index,
                columns,
            } => write!(
                f,
                "{}: column index {index} is past the file's {columns} columns \
                 (indices count from 0)",
                path.display()
            ),
            CsvError::Overlap { path, column, name } => write!(
                f,
                "{}: column {column} (`{name}`) is selected both as a feature and as a target",
                path.display()
            ),
            CsvError::NoFeatures { path } => write!(
                f,
                "{}: no feature column: every column is a target",
                path.display()
            ),
            CsvError::TargetCount {
                path,
                expected,
                found,
            } => write!(
                f,
                "{}: expected {expected} target column{}, found {found}",
                path.display(),
                if *expected == 1 { "" } else { "s" }
            ),
        }
    }
}

impl Error for CsvError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            CsvError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// How to read a CSV file: a builder, then [`load_classes`](Self::load_classes)
/// or [`load_regression`](Self::load_regression).
///
/// Defaults: a header row, `,` between fields, the last column the target,
/// every other column a feature, [`Labels::Integers`].
#[derive(Clone, Debug)]
pub struct CsvOptions {
    header: bool,
    delimiter: u8,
    features: Option<Vec<Column>>,
    targets: Option<Vec<Column>>,
    labels: Labels,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// What the target columns hold.
#[derive(Clone, Copy)]
enum Kind {
    Classes(Labels),
    Values(usize),
}

/// A file read, before the targets take their type.
struct Parsed {
    features: Vec<f32>,
    input_len: usize,
    feature_names: Vec<String>,
    target_names: Vec<String>,
    /// Classes: the label text of each row (integers: its value).
    labels: Vec<String>,
    /// Integer classes, or regression values, row after row.
    numbers: Vec<usize>,
    values: Vec<f32>,
}

impl CsvOptions {
    /// The defaults.
    pub fn new() -> Self {
        CsvOptions {
            header: true,
            delimiter: b',',
            features: None,
            targets: None,
            labels: Labels::Integers,
        }
    }

    /// Whether the first row is a header of column names (default `true`).
    /// Without one, columns are named `column 1`, `column 2`, ...
    pub fn header(mut self, header: bool) -> Self {
        self.header = header;
        self
    }

    /// The byte between fields (default `b','`; `b'\t'` for TSV).
    pub fn delimiter(mut self, delimiter: u8) -> Self {
        self.delimiter = delimiter;
        self
    }

    /// The feature columns, in the order of the inputs (default: every
    /// column that is not a target, in file order).
    pub fn features<C: Into<Column>>(mut self, columns: impl IntoIterator<Item = C>) -> Self {
        self.features = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// The target column (default: the last column).
    pub fn target(self, column: impl Into<Column>) -> Self {
        self.targets([column.into()])
    }

    /// The target columns of `[f32; K]` regression targets, `K` of them, in
    /// order (default: the last `K` columns).
    pub fn targets<C: Into<Column>>(mut self, columns: impl IntoIterator<Item = C>) -> Self {
        self.targets = Some(columns.into_iter().map(Into::into).collect());
        self
    }

    /// How class labels are read (default [`Labels::Integers`]).
    pub fn labels(mut self, labels: Labels) -> Self {
        self.labels = labels;
        self
    }

    /// Reads a classification table from the file at `path`.
    pub fn load_classes(&self, path: impl AsRef<Path>) -> Result<Table<usize>, CsvError> {
        let path = path.as_ref();
        self.read_classes(open(path)?, path)
    }

    /// Reads a classification table from `reader`; `name` stands for the
    /// file in error messages.
    pub fn read_classes(
        &self,
        reader: impl Read,
        name: impl AsRef<Path>,
    ) -> Result<Table<usize>, CsvError> {
        let p = self.parse(reader, name.as_ref(), Kind::Classes(self.labels))?;
        let (targets, classes, class_names) = match self.labels {
            Labels::Integers => {
                let classes = p.numbers.iter().max().map_or(0, |&m| m + 1);
                (p.numbers, classes, Vec::new())
            }
            Labels::FirstSeen | Labels::Sorted => {
                let mut names: Vec<String> = Vec::new();
                let mut seen = HashSet::new();
                for l in &p.labels {
                    if seen.insert(l.as_str()) {
                        names.push(l.clone());
                    }
                }
                if self.labels == Labels::Sorted {
                    names.sort();
                }
                let class: HashMap<&str, usize> = names
                    .iter()
                    .enumerate()
                    .map(|(k, n)| (n.as_str(), k))
                    .collect();
                let targets = p.labels.iter().map(|l| class[l.as_str()]).collect();
                (targets, names.len(), names)
            }
        };
        Ok(Table {
            features: p.features,
            input_len: p.input_len,
            targets,
            feature_names: p.feature_names,
            target_names: p.target_names,
            classes,
            class_names,
        })
    }

    /// Reads a regression table with `K` values per target from the file
    /// at `path`.
    pub fn load_regression<const K: usize>(
        &self,
        path: impl AsRef<Path>,
    ) -> Result<Table<[f32; K]>, CsvError> {
        let path = path.as_ref();
        self.read_regression(open(path)?, path)
    }

    /// Reads a regression table from `reader`; `name` stands for the file
    /// in error messages.
    pub fn read_regression<const K: usize>(
        &self,
        reader: impl Read,
        name: impl AsRef<Path>,
    ) -> Result<Table<[f32; K]>, CsvError> {
        let p = self.parse(reader, name.as_ref(), Kind::Values(K))?;
        let targets = p
            .values
            .chunks_exact(K.max(1))
            .map(|c| core::array::from_fn(|k| c[k]))
            .collect();
        Ok(Table {
            features: p.features,
            input_len: p.input_len,
            targets,
            feature_names: p.feature_names,
            target_names: p.target_names,
            classes: 0,
            class_names: Vec::new(),
        })
    }

    /// The position of `column` among `names`.
    fn resolve(&self, column: &Column, names: &[String], path: &Path) -> Result<usize, CsvError> {
        match column {
            Column::Index(i) if *i < names.len() => Ok(*i),
            Column::Index(i) => Err(CsvError::ColumnIndex {
                path: path.to_path_buf(),
                index: *i,
                columns: names.len(),
            }),
            Column::Name(name) if !self.header => Err(CsvError::NameWithoutHeader {
                path: path.to_path_buf(),
                name: name.clone(),
            }),
            Column::Name(name) => {
                names
                    .iter()
                    .position(|n| n == name)
                    .ok_or_else(|| CsvError::UnknownColumn {
                        path: path.to_path_buf(),
                        name: name.clone(),
                        header: names.to_vec(),
                    })
            }
        }
    }

    fn parse(&self, mut reader: impl Read, path: &Path, kind: Kind) -> Result<Parsed, CsvError> {
        // Read whole: the line numbers are counted in the bytes (see `Lines`).
        let mut bytes = Vec::new();
        reader
            .read_to_end(&mut bytes)
            .map_err(|source| CsvError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        let mut lines = Lines {
            bytes: &bytes,
            at: 0,
            line: 1,
        };
        let mut rdr = ::csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .trim(::csv::Trim::All)
            .from_reader(&bytes[..]);
        let mut rec = ::csv::ByteRecord::new();
        let mut next =
            |rec: &mut ::csv::ByteRecord| rdr.read_byte_record(rec).map_err(|e| csv_error(e, path));
        let empty = || CsvError::Empty {
            path: path.to_path_buf(),
        };
        if !next(&mut rec)? {
            return Err(empty());
        }
        let width = rec.len();
        let first_line = lines.of(&rec);
        let names: Vec<String> = if self.header {
            let names = rec
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            if !next(&mut rec)? {
                return Err(empty());
            }
            names
        } else {
            (1..=width).map(|c| format!("column {c}")).collect()
        };

        // Columns.
        let wanted = match kind {
            Kind::Classes(_) => 1,
            Kind::Values(k) => k,
        };
        let targets: Vec<usize> = match &self.targets {
            Some(cols) => cols
                .iter()
                .map(|c| self.resolve(c, &names, path))
                .collect::<Result<_, _>>()?,
            None => (width.saturating_sub(wanted)..width).collect(),
        };
        if wanted == 0 || targets.len() != wanted {
            return Err(CsvError::TargetCount {
                path: path.to_path_buf(),
                expected: wanted,
                found: targets.len(),
            });
        }
        let features: Vec<usize> = match &self.features {
            Some(cols) => {
                let mut features = Vec::with_capacity(cols.len());
                for c in cols {
                    let i = self.resolve(c, &names, path)?;
                    if targets.contains(&i) {
                        return Err(CsvError::Overlap {
                            path: path.to_path_buf(),
                            column: i + 1,
                            name: names[i].clone(),
                        });
                    }
                    features.push(i);
                }
                features
            }
            None => (0..width).filter(|i| !targets.contains(i)).collect(),
        };
        if features.is_empty() {
            return Err(CsvError::NoFeatures {
                path: path.to_path_buf(),
            });
        }

        // Rows.
        let mut p = Parsed {
            features: Vec::new(),
            input_len: features.len(),
            feature_names: features.iter().map(|&i| names[i].clone()).collect(),
            target_names: targets.iter().map(|&i| names[i].clone()).collect(),
            labels: Vec::new(),
            numbers: Vec::new(),
            values: Vec::new(),
        };
        loop {
            let line = lines.of(&rec);
            if rec.len() != width {
                return Err(CsvError::FieldCount {
                    path: path.to_path_buf(),
                    line,
                    expected: width,
                    first_line,
                    found: rec.len(),
                });
            }
            let bad = |i: usize, problem| CsvError::Value {
                path: path.to_path_buf(),
                line,
                column: i + 1,
                name: names[i].clone(),
                value: String::from_utf8_lossy(&rec[i]).into_owned(),
                problem,
            };
            for &i in &features {
                p.features.push(number(&rec[i]).map_err(|e| bad(i, e))?);
            }
            for &i in &targets {
                match kind {
                    Kind::Values(_) => p.values.push(number(&rec[i]).map_err(|e| bad(i, e))?),
                    Kind::Classes(Labels::Integers) => {
                        p.numbers.push(class(&rec[i]).map_err(|e| bad(i, e))?)
                    }
                    Kind::Classes(_) => p
                        .labels
                        .push(text(&rec[i]).map_err(|e| bad(i, e))?.to_string()),
                }
            }
            if !next(&mut rec)? {
                return Ok(p);
            }
        }
    }
}

fn open(path: &Path) -> Result<File, CsvError> {
    File::open(path).map_err(|source| CsvError::Io {
        path: path.to_path_buf(),
        source,
    })
}

/// Line numbers as an editor shows them. The csv crate's own
/// (`Position::line`) does not count the blank lines it skips, and its
/// record offset (`Position::byte`) points at the end of the previous
/// record, before those blank lines: the record starts at the first byte
/// from there that is not a line break.
struct Lines<'a> {
    bytes: &'a [u8],
    /// Bytes counted so far.
    at: usize,
    /// The line of byte `at`.
    line: u64,
}

impl Lines<'_> {
    /// The line `rec` starts on, from 1; records come in file order.
    fn of(&mut self, rec: &::csv::ByteRecord) -> u64 {
        let from = rec.position().map_or(self.at, |p| p.byte() as usize);
        let start = self.bytes[from.min(self.bytes.len())..]
            .iter()
            .position(|&b| b != b'\n' && b != b'\r')
            .map_or(self.bytes.len(), |k| from + k);
        if start > self.at {
            let breaks = self.bytes[self.at..start].iter().filter(|&&b| b == b'\n');
            self.line += breaks.count() as u64;
            self.at = start;
        }
        self.line
    }
}

/// The csv crate's errors: I/O as it is; anything else (which a flexible
/// reader of byte records does not produce) as invalid data.
fn csv_error(e: ::csv::Error, path: &Path) -> CsvError {
    let source = if e.is_io_error() {
        match e.into_kind() {
            ::csv::ErrorKind::Io(e) => e,
            other => io::Error::new(io::ErrorKind::InvalidData, format!("{other:?}")),
        }
    } else {
        io::Error::new(io::ErrorKind::InvalidData, e)
    };
    CsvError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn text(field: &[u8]) -> Result<&str, Problem> {
    let s = core::str::from_utf8(field).map_err(|_| Problem::NotUtf8)?;
    if s.is_empty() {
        return Err(Problem::Empty);
    }
    Ok(s)
}

fn number(field: &[u8]) -> Result<f32, Problem> {
    let v: f32 = text(field)?.parse().map_err(|_| Problem::NotANumber)?;
    if !v.is_finite() {
        return Err(Problem::NotFinite);
    }
    Ok(v)
}

fn class(field: &[u8]) -> Result<usize, Problem> {
    match text(field)?.parse::<usize>() {
        // `usize::MAX + 1` classes would not fit.
        Ok(v) if v < usize::MAX => Ok(v),
        _ => Err(Problem::NotAClassLabel),
    }
}

/// Rows of `f32` features with a target each, in file order: a
/// [`Dataset`] with `Target = T` (`usize` for a class label, `[f32; K]` for
/// regression values). Read by [`CsvOptions`].
///
/// Invariant: `features().len() == len() * input_len()`.
#[derive(Clone, Debug, PartialEq)]
pub struct Table<T> {
    features: Vec<f32>,
    input_len: usize,
    targets: Vec<T>,
    feature_names: Vec<String>,
    target_names: Vec<String>,
    classes: usize,
    class_names: Vec<String>,
}

impl<T: Copy> Table<T> {
    /// Rows.
    pub fn len(&self) -> usize {
        self.targets.len()
    }

    /// Whether the table has no row (a split of a short table can be empty).
    pub fn is_empty(&self) -> bool {
        self.targets.is_empty()
    }

    /// Features per row.
    pub fn input_len(&self) -> usize {
        self.input_len
    }

    /// The features, row after row.
    pub fn features(&self) -> &[f32] {
        &self.features
    }

    /// The features, row after row, to transform in place.
    pub fn features_mut(&mut self) -> &mut [f32] {
        &mut self.features
    }

    /// The features of row `i`.
    pub fn row(&self, i: usize) -> &[f32] {
        &self.features[i * self.input_len..][..self.input_len]
    }

    /// The targets, one per row.
    pub fn targets(&self) -> &[T] {
        &self.targets
    }

    /// The feature columns' names, in input order.
    pub fn feature_names(&self) -> &[String] {
        &self.feature_names
    }

    /// The target columns' names.
    pub fn target_names(&self) -> &[String] {
        &self.target_names
    }

    /// The table borrowed as [`Samples`].
    pub fn samples(&self) -> Samples<'_, T> {
        Samples::new(&self.features, self.input_len, &self.targets)
            .expect("a table keeps input_len features per target")
    }

    /// A train/test split by a fixed rule: row `i` (from 0) goes to the
    /// test table if `i % k == k - 1`, else to the training table, each in
    /// file order. `k = 5` holds out every 5th row (20%); `k = 1` puts every
    /// row in the test table.
    ///
    /// # Panics
    ///
    /// If `k` is 0.
    pub fn split_every(&self, k: usize) -> (Table<T>, Table<T>) {
        assert!(k > 0, "split_every: k must be at least 1");
        let (mut train, mut test) = (self.empty_like(), self.empty_like());
        for i in 0..self.len() {
            let part = if i % k == k - 1 {
                &mut test
            } else {
                &mut train
            };
            part.features.extend_from_slice(self.row(i));
            part.targets.push(self.targets[i]);
        }
        (train, test)
    }

    fn empty_like(&self) -> Table<T> {
        Table {
            features: Vec::new(),
            input_len: self.input_len,
            targets: Vec::new(),
            feature_names: self.feature_names.clone(),
            target_names: self.target_names.clone(),
            classes: self.classes,
            class_names: self.class_names.clone(),
        }
    }
}

impl Table<usize> {
    /// Number of classes: `max + 1` for integer labels, the distinct labels
    /// for text. A split keeps the whole table's count.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// For text labels, the text of class `0..classes()`; empty for integer
    /// labels, where class `k` is written `k`.
    pub fn class_names(&self) -> &[String] {
        &self.class_names
    }
}

impl<T: Copy> Dataset for Table<T> {
    type Target = T;

    fn len(&self) -> usize {
        self.targets.len()
    }

    fn input_len(&self) -> usize {
        self.input_len
    }

    fn fill(&self, indices: &[usize], inputs: &mut [f32], targets: &mut [T]) {
        self.samples().fill(indices, inputs, targets);
    }
}

/// Per-feature standardisation, `(x - mean) / std`, like scikit-learn's
/// `StandardScaler`: [`fit`](Self::fit) on the training rows only, then
/// [`apply`](Self::apply) to every split and, saved with the model
/// ([`save_file`](Self::save_file)), to each input at inference.
///
/// `std` is the population standard deviation (`ddof = 0`, as
/// `StandardScaler`), computed in `f64`. A feature that is constant on the
/// training rows has `std` 0 and is only centred, not scaled (as
/// `StandardScaler`, whose scale becomes 1 there).
///
/// The file format ([`to_bytes`](Self::to_bytes)), little-endian:
///
/// | bytes | contents |
/// |---|---|
/// | 0..8 | magic `SNSTATS1` |
/// | 8..12 | CRC-32 (IEEE, as zlib's) of every byte from 12 on, `u32` |
/// | 12..16 | width `w`, features, `u32` |
/// | 16.. | `w` means, then `w` standard deviations, `f32` |
#[derive(Clone, Debug, PartialEq)]
pub struct Standardize {
    mean: Vec<f32>,
    std: Vec<f32>,
}

/// First bytes of a statistics file.
pub const STATS_MAGIC: [u8; 8] = *b"SNSTATS1";
const STATS_HEADER: usize = 16;

/// Why statistics are not usable: the bytes of a file, or a width.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum StatsError {
    /// The bytes do not start with [`STATS_MAGIC`].
    Magic,
    /// The bytes are not as long as the header says.
    Length {
        /// Bytes the header's width needs (or the header, if shorter).
        expected: usize,
        /// Bytes given.
        found: usize,
    },
    /// The checksum does not match: the file is damaged.
    Checksum {
        /// CRC-32 in the header.
        stored: u32,
        /// CRC-32 of the bytes.
        computed: u32,
    },
    /// The statistics are for another number of features.
    Width {
        /// Features of the statistics.
        stats: usize,
        /// Features of the data (or the width asked for).
        data: usize,
    },
    /// `mean` and `std` differ in length ([`Standardize::new`]).
    Lengths {
        /// Means.
        mean: usize,
        /// Standard deviations.
        std: usize,
    },
    /// A mean or standard deviation is not finite, or a deviation is
    /// negative.
    Value {
        /// The feature, from 0.
        feature: usize,
        /// Its mean.
        mean: f32,
        /// Its standard deviation.
        std: f32,
    },
}

impl fmt::Display for StatsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            StatsError::Magic => write!(
                f,
                "not a standardisation file: it does not start with `SNSTATS1`"
            ),
            StatsError::Length { expected, found } => {
                write!(f, "expected {expected} bytes, found {found}")
            }
            StatsError::Checksum { stored, computed } => write!(
                f,
                "checksum mismatch (stored {stored:#010x}, computed {computed:#010x}): \
                 the file is damaged"
            ),
            StatsError::Width { stats, data } => write!(
                f,
                "the statistics are for {stats} features, the data has {data}"
            ),
            StatsError::Lengths { mean, std } => write!(
                f,
                "{mean} means and {std} standard deviations: expected as many of each"
            ),
            StatsError::Value { feature, mean, std } => write!(
                f,
                "feature {feature}: mean {mean}, std {std}: expected finite values, std >= 0"
            ),
        }
    }
}

impl Error for StatsError {}

/// Why a statistics file could not be written or read.
#[derive(Debug)]
pub enum StatsFileError {
    /// Reading or writing the file failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: io::Error,
    },
    /// The file is not statistics of the width asked for.
    Format {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        source: StatsError,
    },
}

impl fmt::Display for StatsFileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StatsFileError::Io { path, source } => write!(f, "{}: {source}", path.display()),
            StatsFileError::Format { path, source } => write!(f, "{}: {source}", path.display()),
        }
    }
}

impl Error for StatsFileError {
    fn source(&self) -> Option<&(dyn Error + 'static)> {
        match self {
            StatsFileError::Io { source, .. } => Some(source),
            StatsFileError::Format { source, .. } => Some(source),
        }
    }
}

impl Standardize {
    /// Statistics given: as many finite means as finite, non-negative
    /// standard deviations.
    pub fn new(mean: Vec<f32>, std: Vec<f32>) -> Result<Self, StatsError> {
        if mean.len() != std.len() {
            return Err(StatsError::Lengths {
                mean: mean.len(),
                std: std.len(),
            });
        }
        let bad = mean
            .iter()
            .zip(&std)
            .position(|(m, s)| !m.is_finite() || !s.is_finite() || *s < 0.0);
        if let Some(feature) = bad {
            return Err(StatsError::Value {
                feature,
                mean: mean[feature],
                std: std[feature],
            });
        }
        Ok(Standardize { mean, std })
    }

    /// The mean and population standard deviation of each feature of
    /// `table` (its training rows). A table without rows gives means and
    /// deviations of 0, which change nothing.
    pub fn fit<T: Copy>(table: &Table<T>) -> Self {
        let (w, n) = (table.input_len(), table.len());
        let mut mean = Vec::with_capacity(w);
        let mut std = Vec::with_capacity(w);
        for j in 0..w {
            let column = || (0..n).map(|i| f64::from(table.features[i * w + j]));
            let (lo, hi) = column().fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
                (lo.min(v), hi.max(v))
            });
            if n == 0 || lo == hi {
                // Constant: exactly its value and 0, without rounding noise.
                mean.push(if n == 0 { 0.0 } else { lo as f32 });
                std.push(0.0);
                continue;
            }
            let m = column().sum::<f64>() / n as f64;
            let var = column().map(|v| (v - m) * (v - m)).sum::<f64>() / n as f64;
            mean.push(m as f32);
            std.push(var.sqrt() as f32);
        }
        Standardize { mean, std }
    }

    /// Features per row.
    pub fn width(&self) -> usize {
        self.mean.len()
    }

    /// The means.
    pub fn mean(&self) -> &[f32] {
        &self.mean
    }

    /// The population standard deviations.
    pub fn std(&self) -> &[f32] {
        &self.std
    }

    /// Standardises every row of `table` in place.
    pub fn apply<T: Copy>(&self, table: &mut Table<T>) -> Result<(), StatsError> {
        self.check(table.input_len())?;
        for row in table.features.chunks_exact_mut(table.input_len.max(1)) {
            self.scale(row);
        }
        Ok(())
    }

    /// Standardises one input in place (inference).
    pub fn apply_row(&self, x: &mut [f32]) -> Result<(), StatsError> {
        self.check(x.len())?;
        self.scale(x);
        Ok(())
    }

    fn check(&self, data: usize) -> Result<(), StatsError> {
        if data != self.width() {
            return Err(StatsError::Width {
                stats: self.width(),
                data,
            });
        }
        Ok(())
    }

    fn scale(&self, row: &mut [f32]) {
        for ((x, &m), &s) in row.iter_mut().zip(&self.mean).zip(&self.std) {
            let s = if s > 0.0 { s } else { 1.0 };
            *x = (*x - m) / s;
        }
    }

    /// The statistics in the file format (see the type's documentation).
    pub fn to_bytes(&self) -> Vec<u8> {
        let w = self.width();
        let mut out = Vec::with_capacity(STATS_HEADER + 8 * w);
        out.extend_from_slice(&STATS_MAGIC);
        out.extend_from_slice(&[0; 4]);
        let width = u32::try_from(w).expect("fewer than 2^32 features");
        out.extend_from_slice(&width.to_le_bytes());
        for v in self.mean.iter().chain(&self.std) {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let crc = crate::weights::crc32(&out[12..]);
        out[8..12].copy_from_slice(&crc.to_le_bytes());
        out
    }

    /// Reads statistics of `width` features from [`to_bytes`](Self::to_bytes)'s
    /// format, checking the magic, length, checksum, width and values.
    pub fn from_bytes(bytes: &[u8], width: usize) -> Result<Self, StatsError> {
        let u32_at = |at: usize| {
            u32::from_le_bytes([bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]])
        };
        if bytes.len() < STATS_HEADER {
            if !STATS_MAGIC.starts_with(bytes) && !bytes.starts_with(&STATS_MAGIC) {
                return Err(StatsError::Magic);
            }
            return Err(StatsError::Length {
                expected: STATS_HEADER,
                found: bytes.len(),
            });
        }
        if bytes[..8] != STATS_MAGIC {
            return Err(StatsError::Magic);
        }
        let (stored, computed) = (u32_at(8), crate::weights::crc32(&bytes[12..]));
        if stored != computed {
            return Err(StatsError::Checksum { stored, computed });
        }
        let stats = u32_at(12) as usize;
        let expected = stats
            .checked_mul(8)
            .and_then(|b| b.checked_add(STATS_HEADER));
        if expected != Some(bytes.len()) {
            return Err(StatsError::Length {
                expected: expected.unwrap_or(usize::MAX),
                found: bytes.len(),
            });
        }
        if stats != width {
            return Err(StatsError::Width { stats, data: width });
        }
        let f32_at = |at: usize| f32::from_bits(u32_at(at));
        let mean = (0..width).map(|j| f32_at(STATS_HEADER + 4 * j)).collect();
        let std = (0..width)
            .map(|j| f32_at(STATS_HEADER + 4 * (width + j)))
            .collect();
        Standardize::new(mean, std)
    }

    /// Writes the statistics to `path`, atomically
    /// ([`write_atomic`](crate::weights::write_atomic)).
    pub fn save_file(&self, path: impl AsRef<Path>) -> Result<(), StatsFileError> {
        let path = path.as_ref();
        crate::weights::write_atomic(path, &self.to_bytes()).map_err(|source| StatsFileError::Io {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Reads statistics of `width` features saved by
    /// [`save_file`](Self::save_file).
    pub fn load_file(path: impl AsRef<Path>, width: usize) -> Result<Self, StatsFileError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| StatsFileError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        Standardize::from_bytes(&bytes, width).map_err(|source| StatsFileError::Format {
            path: path.to_path_buf(),
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec;

    fn classes(options: CsvOptions, text: &str) -> Result<Table<usize>, CsvError> {
        options.read_classes(text.as_bytes(), "t.csv")
    }

    /// The message of reading `text` with the defaults.
    fn error(text: &str) -> String {
        classes(CsvOptions::new(), text).unwrap_err().to_string()
    }

    #[test]
    fn header_names_the_columns_and_the_last_is_the_target() {
        let t = classes(CsvOptions::new(), "a,b,label\n1,2,0\n3,4.5,2\n").unwrap();
        assert_eq!((t.len(), t.input_len(), t.classes()), (2, 2, 3));
        assert_eq!(t.features(), &[1.0, 2.0, 3.0, 4.5]);
        assert_eq!(t.targets(), &[0, 2]);
        assert_eq!(t.feature_names(), &["a", "b"]);
        assert_eq!(t.target_names(), &["label"]);
        assert!(t.class_names().is_empty());
    }

    #[test]
    fn columns_by_name_or_index_in_the_order_given() {
        let text = "id, x ,y,class\n7,1,2,1\n8,3,4,0\n";
        let o = CsvOptions::new()
            .target(Column::Index(3))
            .features(["y", "x"]);
        let t = classes(o, text).unwrap();
        assert_eq!(t.features(), &[2.0, 1.0, 4.0, 3.0]);
        assert_eq!(t.feature_names(), &["y", "x"]); // header fields are trimmed
        let o = CsvOptions::new().target("class").features([1usize, 2]);
        assert_eq!(classes(o, text).unwrap().row(1), &[3.0, 4.0]);
    }

    #[test]
    fn without_header_columns_are_numbered() {
        let o = CsvOptions::new()
            .header(false)
            .delimiter(b';')
            .target(0usize);
        let t = classes(o, "1;0.5;-2\n0;1e-3;\"7\"\n").unwrap();
        assert_eq!(t.targets(), &[1, 0]);
        assert_eq!(t.features(), &[0.5, -2.0, 1e-3, 7.0]);
        assert_eq!(t.feature_names(), &["column 2", "column 3"]);
        let o = CsvOptions::new().header(false).target("label");
        assert_eq!(
            classes(o, "1,2\n").unwrap_err().to_string(),
            "t.csv: column `label` is selected by name, but the file is read without a \
             header (`header(false)`): select it by index"
        );
    }

    #[test]
    fn text_labels_first_seen_or_sorted() {
        let text = "x,kind\n1,pear\n2,apple\n3,pear\n4,fig\n";
        let t = classes(CsvOptions::new().labels(Labels::FirstSeen), text).unwrap();
        assert_eq!(t.class_names(), &["pear", "apple", "fig"]);
        assert_eq!(t.targets(), &[0, 1, 0, 2]);
        let t = classes(CsvOptions::new().labels(Labels::Sorted), text).unwrap();
        assert_eq!(t.class_names(), &["apple", "fig", "pear"]);
        assert_eq!((t.targets(), t.classes()), (&[2, 0, 2, 1][..], 3));
        assert_eq!(
            error(text),
            "t.csv: line 2, column 2 (`kind`): expected a class label (an integer from 0; \
             `Labels::FirstSeen` or `Labels::Sorted` read text), found `pear`"
        );
        assert!(error("x,c\n1,-1\n").contains("line 2, column 2 (`c`)"));
        assert!(error("x,c\n1,1.0\n").contains("found `1.0`"));
    }

    #[test]
    fn regression_targets_of_k_values() {
        let text = "y1,x,y2\n0.5,1,2\n1.5,3,4\n";
        let o = CsvOptions::new().targets(["y1", "y2"]);
        let t = o.read_regression::<2>(text.as_bytes(), "r.csv").unwrap();
        assert_eq!(t.targets(), &[[0.5, 2.0], [1.5, 4.0]]);
        assert_eq!(t.features(), &[1.0, 3.0]);
        let t = CsvOptions::new()
            .read_regression::<1>(text.as_bytes(), "r.csv")
            .unwrap();
        assert_eq!((t.targets(), t.input_len()), (&[[2.0], [4.0]][..], 2));
        let e = CsvOptions::new().read_regression::<3>(text.as_bytes(), "r.csv");
        assert_eq!(
            e.unwrap_err().to_string(),
            "r.csv: no feature column: every column is a target"
        );
        let e = o
            .read_regression::<1>(text.as_bytes(), "r.csv")
            .unwrap_err();
        assert_eq!(e.to_string(), "r.csv: expected 1 target column, found 2");
        let e = o
            .read_regression::<0>(text.as_bytes(), "r.csv")
            .unwrap_err();
        assert!(matches!(
            e,
            CsvError::TargetCount {
                expected: 0,
                found: 2,
                ..
            }
        ));
        let e = o.clone().target("x").read_classes(text.as_bytes(), "r.csv");
        assert!(e.is_ok(), "target() replaces targets()");
    }

    #[test]
    fn bad_values_name_line_and_column() {
        let cases = [
            (
                "a,b,t\n1,2,0\n1,x,0\n",
                "line 3, column 2 (`b`): expected a number, found `x`",
            ),
            (
                "a,b,t\n1,,0\n",
                "line 2, column 2 (`b`): expected a value, found an empty field",
            ),
            (
                "a,b,t\nNaN,1,0\n",
                "line 2, column 1 (`a`): expected a finite `f32`, found `NaN`",
            ),
            (
                "a,b,t\n1,-inf,0\n",
                "column 2 (`b`): expected a finite `f32`, found `-inf`",
            ),
            (
                "a,b,t\n1,1e39,0\n",
                "column 2 (`b`): expected a finite `f32`, found `1e39`",
            ),
            (
                "a,b,t\n1,2,\n",
                "line 2, column 3 (`t`): expected a value, found an empty field",
            ),
            // Blank lines are skipped but counted; a quoted field may span lines.
            (
                "a,b,t\n\n1,\"2\n\",0\n\n1,?,0\n",
                "line 6, column 2 (`b`): expected a number",
            ),
            ("a,b,t\r\n\r\n1,x,0\r\n", "line 3, column 2 (`b`)"),
            ("\u{feff}a,b,t\n\n\n1,2,x", "line 4, column 3 (`t`)"),
        ];
        for (text, message) in cases {
            let e = error(text);
            assert!(e.starts_with("t.csv: ") && e.contains(message), "{e}");
        }
        let e = classes(CsvOptions::new(), "a,b,t\n1,\u{e9}\u{e9},0\n").unwrap_err();
        assert!(matches!(
            e,
            CsvError::Value {
                line: 2,
                column: 2,
                problem: Problem::NotANumber,
                ..
            }
        ));
        let bytes: &[u8] = b"a,b,t\n1,\xff,0\n";
        let e = CsvOptions::new().read_classes(bytes, "t.csv").unwrap_err();
        assert_eq!(
            e.to_string(),
            "t.csv: line 2, column 2 (`b`): not valid UTF-8: `\u{fffd}`"
        );
        let long = std::format!("a,t\n{},0\n", "9".repeat(30) + &"z".repeat(30));
        assert!(error(&long).ends_with("found `999999999999999999999999999999zzzzzzzzzz...`"));
    }

    #[test]
    fn structural_errors() {
        assert_eq!(
            error("a,b,t\n1,2,0\n1,2\n"),
            "t.csv: line 3: expected 3 fields (as on line 1), found 2"
        );
        assert_eq!(error(""), "t.csv: no data rows");
        assert_eq!(error("a,b,t\n"), "t.csv: no data rows");
        assert_eq!(
            classes(CsvOptions::new().target("T"), "a,b,t\n1,2,0\n")
                .unwrap_err()
                .to_string(),
            "t.csv: no column named `T`; the header has `a`, `b`, `t`"
        );
        assert_eq!(
            classes(CsvOptions::new().features([0usize, 3]), "a,b,t\n1,2,0\n")
                .unwrap_err()
                .to_string(),
            "t.csv: column index 3 is past the file's 3 columns (indices count from 0)"
        );
        assert_eq!(
            classes(CsvOptions::new().features(["a", "t"]), "a,b,t\n1,2,0\n")
                .unwrap_err()
                .to_string(),
            "t.csv: column 3 (`t`) is selected both as a feature and as a target"
        );
        assert_eq!(
            error("t\n0\n"),
            "t.csv: no feature column: every column is a target"
        );
        let e = classes(CsvOptions::new().targets(["a", "b"]), "a,b,t\n1,2,0\n").unwrap_err();
        assert_eq!(e.to_string(), "t.csv: expected 1 target column, found 2");
    }

    #[test]
    fn files_and_io_errors_name_the_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("iris.csv");
        std::fs::write(&path, "\u{feff}x,c\n0.5,1\n").unwrap();
        let t = CsvOptions::new().load_classes(&path).unwrap();
        assert_eq!(t.feature_names(), &["x"]); // the byte order mark is dropped
        let t = CsvOptions::new().load_regression::<1>(&path).unwrap();
        assert_eq!(t.targets(), &[[1.0]]);
        std::fs::write(&path, "x,c\n0.5,z\n").unwrap();
        let e = CsvOptions::new()
            .load_classes(&path)
            .unwrap_err()
            .to_string();
        assert_eq!(e, std::format!("{}: line 2, column 2 (`c`): expected a class label (an integer from 0; `Labels::FirstSeen` or `Labels::Sorted` read text), found `z`", path.display()));
        let missing = dir.path().join("missing.csv");
        let e = CsvOptions::new().load_classes(&missing).unwrap_err();
        assert!(matches!(&e, CsvError::Io { path, .. } if *path == missing));
        assert!(e
            .to_string()
            .starts_with(&std::format!("{}: ", missing.display())));
        assert!(e.source().is_some());
    }

    #[test]
    fn split_every_kth_row_to_test_and_fill() {
        let text = "x,t\n0,0\n1,1\n2,0\n3,1\n4,0\n5,1\n6,0\n";
        let t = classes(CsvOptions::new(), text).unwrap();
        let (train, test) = t.split_every(3);
        assert_eq!(train.features(), &[0.0, 1.0, 3.0, 4.0, 6.0]);
        assert_eq!(test.features(), &[2.0, 5.0]);
        assert_eq!((test.targets(), test.classes()), (&[0, 1][..], 2));
        let (train, test) = t.split_every(1);
        assert_eq!((train.len(), test.len()), (0, 7));
        let (mut x, mut y) = ([0.0; 2], [9; 2]);
        t.fill(&[6, 1], &mut x, &mut y);
        assert_eq!((x, y), ([6.0, 1.0], [0, 1]));
        assert_eq!(t.samples().input(4), &[4.0]);
    }

    #[test]
    fn standardize_fits_on_train_with_population_std() {
        let text = "a,b,c,t\n1,5,-1,0\n2,5,0,0\n3,5,1,0\n100,7,9,0\n";
        let t = classes(CsvOptions::new(), text).unwrap();
        let (mut train, mut test) = t.split_every(4);
        let s = Standardize::fit(&train);
        let pop = (2.0f64 / 3.0).sqrt() as f32; // of 1, 2, 3
        assert_eq!(s.mean(), &[2.0, 5.0, 0.0]);
        assert_eq!(s.std(), &[pop, 0.0, pop]);
        s.apply(&mut train).unwrap();
        s.apply(&mut test).unwrap();
        // The constant column is centred, not scaled.
        assert_eq!(train.row(0), &[-1.0 / pop, 0.0, -1.0 / pop]);
        assert_eq!(test.row(0), &[98.0 / pop, 2.0, 9.0 / pop]);
        let mut x = [2.0, 6.0, 1.0];
        s.apply_row(&mut x).unwrap();
        assert_eq!(x, [0.0, 1.0, 1.0 / pop]);
        assert_eq!(
            s.apply_row(&mut [0.0; 2]).unwrap_err().to_string(),
            "the statistics are for 3 features, the data has 2"
        );
        let empty = Standardize::fit(&test.split_every(2).0.split_every(1).0);
        assert_eq!((empty.mean(), empty.std()), (&[0.0; 3][..], &[0.0; 3][..]));
        assert!(matches!(
            Standardize::new(vec![0.0], vec![-1.0]),
            Err(StatsError::Value { feature: 0, .. })
        ));
        assert!(matches!(
            Standardize::new(vec![0.0], vec![]),
            Err(StatsError::Lengths { mean: 1, std: 0 })
        ));
    }

    #[test]
    fn standardize_round_trips_and_checks_its_file() {
        let s = Standardize::new(vec![1.5, -2.0, 0.0], vec![0.25, 0.0, 3.0]).unwrap();
        let bytes = s.to_bytes();
        assert_eq!(bytes.len(), 16 + 3 * 8);
        assert_eq!(Standardize::from_bytes(&bytes, 3).unwrap(), s);

        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("stats.bin");
        s.save_file(&path).unwrap();
        assert_eq!(Standardize::load_file(&path, 3).unwrap(), s);
        let e = Standardize::load_file(&path, 30).unwrap_err();
        assert_eq!(
            e.to_string(),
            std::format!(
                "{}: the statistics are for 3 features, the data has 30",
                path.display()
            )
        );

        let mut bad = bytes.clone();
        bad[20] ^= 1;
        assert!(matches!(
            Standardize::from_bytes(&bad, 3),
            Err(StatsError::Checksum { .. })
        ));
        std::fs::write(&path, &bad).unwrap();
        let e = Standardize::load_file(&path, 3).unwrap_err().to_string();
        assert!(
            e.contains("checksum mismatch") && e.contains("damaged"),
            "{e}"
        );
        bad = bytes.clone();
        bad[0] = b'X';
        assert_eq!(Standardize::from_bytes(&bad, 3), Err(StatsError::Magic));
        assert_eq!(
            Standardize::from_bytes(b"PK\x03\x04", 3),
            Err(StatsError::Magic)
        );
        assert_eq!(
            Standardize::from_bytes(&bytes[..10], 3),
            Err(StatsError::Length {
                expected: 16,
                found: 10
            })
        );
        // Truncated: the checksum no longer matches.
        assert!(matches!(
            Standardize::from_bytes(&bytes[..bytes.len() - 4], 3),
            Err(StatsError::Checksum { .. })
        ));
        let nan = Standardize {
            mean: vec![f32::NAN],
            std: vec![1.0],
        };
        assert!(matches!(
            Standardize::from_bytes(&nan.to_bytes(), 1),
            Err(StatsError::Value { feature: 0, .. })
        ));
        let e = Standardize::load_file(dir.path().join("none.bin"), 3).unwrap_err();
        assert!(matches!(e, StatsFileError::Io { .. }));
    }

    #[test]
    fn the_shipped_breast_cancer_table() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/data/tabular/breast_cancer.csv"
        );
        let t = CsvOptions::new()
            .target("target")
            .load_classes(path)
            .unwrap();
        assert_eq!((t.len(), t.input_len(), t.classes()), (569, 30, 2));
        assert_eq!(t.feature_names()[0], "mean radius");
        assert_eq!(t.row(0)[..3], [17.99, 10.38, 122.8]);
        let count = |t: &Table<usize>, c| t.targets().iter().filter(|&&y| y == c).count();
        assert_eq!((count(&t, 0), count(&t, 1)), (212, 357));
        let (train, test) = t.split_every(5);
        assert_eq!((train.len(), test.len()), (456, 113));
        // scikit-learn's StandardScaler on the same rows, in f64 from the text.
        let stats = Standardize::fit(&train);
        let sklearn = [
            (0, 14.198973684210532, 3.5752279922650962),
            (3, 662.5162280701757, 358.99282679851717),
            (29, 0.08418537280701754, 0.017611533746770797),
        ];
        for (j, mean, scale) in sklearn {
            let close = |a: f32, b: f64| (f64::from(a) - b).abs() <= 1e-6 * b;
            assert!(close(stats.mean()[j], mean) && close(stats.std()[j], scale));
        }
        let mut train = train;
        stats.apply(&mut train).unwrap();
        let again = Standardize::fit(&train);
        assert!(again.mean().iter().all(|m| m.abs() < 1e-5));
        assert!(again.std().iter().all(|s| (s - 1.0).abs() < 1e-5));
    }
}
