use staticnet::Network;

staticnet::network! {
    /// Eight dense layers, with every activation in between.
    pub struct Deep {
        input: [3],
        dense(5), relu,
        dense(7), tanh,
        dense(5), sigmoid,
        dense(4), gelu,
        dense(6), leaky_relu(0.2),
        dense(3, bias = false), relu,
        dense(9), tanh,
        dense(2),
    }
}

fn main() {
    let net = Deep::new_boxed(1);
    let mut ws = Deep::new_workspace();
    let y: &[f32; 2] = net.forward(&[1.0, 2.0, 3.0], &mut ws);
    assert!(y.iter().all(|v| v.is_finite()));
    let mut cache = Deep::new_cache::<3>();
    let mut grads = Deep::zeroed_boxed();
    let x = [[0.5f32; 3]; 3];
    net.forward_batch(&x, &mut cache, staticnet::Mode::Train);
    net.backward(&x, &mut cache, &[[1.0; 2]; 3], &mut grads, None);
    assert!(grads.params().iter().all(|g| g.is_finite()));
}
