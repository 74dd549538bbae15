// The encoder ends with 16 features, the decoder expects 32.
staticnet::network! {
    struct Encoder { input: [784], dense(64), relu, dense(16) }
}
staticnet::network! {
    struct Decoder { input: [32], dense(64), relu, dense(784) }
}

fn main() {
    use staticnet::Network;
    let (enc, dec) = (Encoder::new_boxed(1), Decoder::new_boxed(2));
    let x = [[0.0f32; 784]; 4];
    let (mut ce, mut cd) = (Encoder::new_cache::<4>(), Decoder::new_cache::<4>());
    let _ = staticnet::chain_forward(&*enc, &*dec, &x, &mut ce, &mut cd, staticnet::Mode::Infer);
}
