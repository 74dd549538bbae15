mod inner {
    staticnet::network! {
        /// A documented network with named layers.
        #[derive(Debug)]
        pub(crate) struct Named {
            input: [2, 2],
            flatten,
            hidden: dense(3, bias = false),
            act: leaky_relu(0.01),
            drop: dropout(0.5),
            head: dense(2),
            probs: softmax,
        }
    }
}

use staticnet::Network;

fn main() {
    let net = inner::Named::new_boxed(0);
    assert_eq!(net.hidden.weight.len(), 3);
    assert_eq!(net.head.bias.len(), 2);
    let mut cache = inner::Named::new_cache::<4>();
    let y = net.forward_batch(&[[[0.5; 2]; 2]; 4], &mut cache, staticnet::Mode::Train);
    let sum: f32 = y[0].iter().sum();
    assert!((sum - 1.0).abs() < 1e-5);
    let _ = format!("{net:?}");
}
