"""Crop augmentation (numpy, (z, y, x) arrays; geometry applied to image and targets alike).

- flips along z, y and x (each p = 0.5);
- in-plane 90-degree rotations (k = 0..3 about z) when the crop is square in y-x;
- intensity: gamma in [0.6, 1.6], then scale [0.75, 1.25] and shift [-0.1, 0.1];
- additive Gaussian noise, sd uniform in [0, 0.08] (on the [0, 1] normalised image).
Copy-paste of instances is done at generation time in TypeScript (lib/synth/copy-paste.ts,
`tessera generate-training-data --copy-paste p`), so its labels and targets are exact.
"""
import numpy as np

GEOM_KEYS = ('image', 'foreground', 'boundary', 'distance', 'labels')


def augment(c: dict, rng: np.random.Generator, intensity=True) -> dict:
    c = dict(c)
    for ax in range(3):
        if rng.random() < 0.5:
            for k in GEOM_KEYS:
                c[k] = np.flip(c[k], axis=ax)
    if c['image'].shape[1] == c['image'].shape[2]:
        k90 = int(rng.integers(4))
        if k90:
            for k in GEOM_KEYS:
                c[k] = np.rot90(c[k], k=k90, axes=(1, 2))
    for k in GEOM_KEYS:
        c[k] = np.ascontiguousarray(c[k])
    if intensity:
        x = np.clip(c['image'], 0, 1)
        x = x ** rng.uniform(0.6, 1.6)
        x = x * rng.uniform(0.75, 1.25) + rng.uniform(-0.1, 0.1)
        sd = rng.uniform(0, 0.08)
        if sd > 0:
            x = x + rng.normal(0, sd, x.shape)
        c['image'] = x.astype(np.float32)
    return c
