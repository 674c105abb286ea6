"""convcalc as a library: build blocks, measure them on an input, compare."""

import convcalc

# Parameters need no input.
block = convcalc.separable(cin=64, cout=128, k=3)
print("separable 64 -> 128:", block.params, "parameters")
for layer in block.layers:
    print(f"  {layer.name}: {convcalc.formula(layer)} = {layer.params:,}")

# Shapes, MACs and memory need one.
cost = convcalc.measure(convcalc.standard(cin=64, cout=128, k=3), input=56, dtype="fp16")
print("standard on 56x56:", cost.output_shape, f"{cost.macs:,} MACs", cost.weight_bytes, "bytes")

# The post's comparison, with exact ratios.
for row in convcalc.compare(cin=64, cout=128, k=3, input=56):
    print(f"{row.label:34} {row.cost.params:>7,} params  MACs x{float(row.macs_ratio):.3f}")
