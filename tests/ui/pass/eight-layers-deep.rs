use staticnet::Network;

staticnet::network! {
    pub struct Deep {
        input: [3],
        dense(5), relu,
        dense(7), tanh,
        dense(5), sigmoid,
        dense(2),
    }
}

fn main() {
    let net = Deep::new_boxed(1);
    let mut ws = Deep::new_workspace();
    let y: &[f32; 2] = net.forward(&[1.0, 2.0, 3.0], &mut ws);
    assert!(y.iter().all(|v| v.is_finite()));
}
