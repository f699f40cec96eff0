"""Same-run torch references for bench/attention.ts: fp32 scaled_dot_product_attention on the same shapes."""
import json
import torch
import torch.nn.functional as F


def median_ms(fn, runs=20, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    times = []
    for _ in range(runs):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        fn()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end))
    times.sort()
    return times[len(times) // 2]


dev = "cuda"
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False

# Decode: batch 64, 32 query heads over 8 KV heads, 4096 keys, head dim 128 (contiguous KV; torch has no paged SDPA).
B, L, D = 64, 4096, 128
for dtype in (torch.float32, torch.float16):
    q = torch.randn(B, 32, 1, D, device=dev, dtype=dtype)
    k = torch.randn(B, 8, L, D, device=dev, dtype=dtype)
    v = torch.randn(B, 8, L, D, device=dev, dtype=dtype)
    ms = median_ms(lambda: F.scaled_dot_product_attention(q, k, v, enable_gqa=True))
    size = 2 * B * 8 * L * D * k.element_size()
    print(json.dumps({"bench": "torch-decode", "dtype": str(dtype), "ms": round(ms, 4), "TBps": round(size / ms / 1e9, 3)}))

# Causal prefill: batch 8, 32 heads, 2048 tokens, head dim 128, fp32.
B, H, L = 8, 32, 2048
q, k, v = (torch.randn(B, H, L, D, device=dev) for _ in range(3))
ms = median_ms(lambda: F.scaled_dot_product_attention(q, k, v, is_causal=True))
flops = 4 * B * H * D * L * (L + 1) / 2
print(json.dumps({"bench": "torch-causal-prefill", "dtype": "torch.float32", "ms": round(ms, 3), "TFLOPS": round(flops / ms / 1e9, 2)}))
