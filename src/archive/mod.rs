//! One writer abstraction for wheel, sdist and metadata directory; RECORD hashes are
//! computed while writing.
