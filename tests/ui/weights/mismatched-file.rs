// Weights saved from the 1-16-16-1 sine network, embedded into a 1-16-8-1 one.
staticnet::network! {
    pub struct Narrow { input: [1], dense(16), tanh, dense(8), tanh, dense(1) }
}

static NET: &Narrow = staticnet::include_weights!(Narrow, "../../fixtures/sine.bin");

fn main() {
    let _ = NET;
}
