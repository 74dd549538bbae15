//! Dataset loaders (feature `std`).

pub mod mnist;
