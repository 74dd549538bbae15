// A file that is not a staticnet weights file at all.
staticnet::network! {
    pub struct Sine { input: [1], dense(16), tanh, dense(16), tanh, dense(1) }
}

static NET: &Sine = staticnet::include_weights!(Sine, "not-a-weights-file.rs");

fn main() {
    let _ = NET;
}
