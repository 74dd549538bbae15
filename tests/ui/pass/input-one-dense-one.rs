use staticnet::Network;

staticnet::network! {
    struct Tiny {
        input: [1],
        dense(1),
    }
}

fn main() {
    let net = Tiny::new_boxed(3);
    let mut ws = Tiny::new_workspace();
    let y: &[f32; 1] = net.forward(&[2.0], &mut ws);
    assert!(y[0].is_finite());
    assert_eq!(Tiny::PARAMS, 2);
}
