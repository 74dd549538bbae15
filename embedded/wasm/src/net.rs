// The network shared by the module (`src/lib.rs`) and the host reference
// (`build.rs`), which `include!` this file.

staticnet::network! {
    /// The tanh sine network of `tests/fixtures/sine.bin` (the README's).
    pub struct Sine {
        input: [1],
        dense(16), tanh,
        dense(16), tanh,
        dense(1),
    }
}
