use staticnet::{Mode, Network};

staticnet::network! {
    /// LeNet-5.
    pub struct LeNet {
        input: [1, 28, 28],
        conv2d(6, 5, padding = 2), relu, maxpool2d(2),
        conv2d(16, 5), relu, maxpool2d(2),
        flatten,
        dense(120), relu,
        dense(84), relu,
        dense(10),
    }
}

staticnet::network! {
    /// Depthwise-separable block, 1-d convolution, every option spelled out.
    struct Options {
        input: [4, 9, 9],
        dw: conv2d(4, (3, 3), stride = (2, 2), padding = (1, 1), dilation = (1, 1), groups = 4, bias = false),
        pw: conv2d(8, 1),
        bn: batchnorm(eps = 1e-3, momentum = 0.05),
        relu,
        avgpool2d(2, stride = 1),
        global_avgpool,
        dense(3),
    }
}

fn main() {
    let net = LeNet::new_boxed(0);
    let mut ws = LeNet::new_workspace();
    assert!(net.forward(&[[[0.5; 28]; 28]; 1], &mut ws).iter().all(|v| v.is_finite()));
    let mut opts = Options::new_boxed(1);
    let mut cache = Options::new_cache::<2>();
    opts.forward_batch(&[[[[0.1; 9]; 9]; 4]; 2], &mut cache, Mode::Train);
    opts.update_buffers(&cache);
    assert_eq!(opts.bn_stats.num_batches_tracked, [1.0]);
    assert_eq!(opts.dw.weight.len(), 4);
    assert_eq!(opts.dw.weight[0].len(), 1);
}
