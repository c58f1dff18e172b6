package dev.tokenrt.cache.semantic;

import java.util.Random;

/** Unit vectors for index tests: random ones, and ones at a chosen cosine from another. */
public final class TestVectors {

    private TestVectors() {
    }

    /** A random unit vector. */
    public static float[] unit(Random r, int dim) {
        float[] v = new float[dim];
        double s = 0;
        for (int i = 0; i < dim; i++) {
            v[i] = (float) r.nextGaussian();
            s += v[i] * v[i];
        }
        for (int i = 0; i < dim; i++) {
            v[i] /= (float) Math.sqrt(s);
        }
        return v;
    }

    /** A unit vector at cosine {@code cos} from the unit vector {@code base}, in a random direction. */
    public static float[] near(float[] base, double cos, Random r) {
        float[] noise = unit(r, base.length);
        double d = 0;
        for (int i = 0; i < base.length; i++) {
            d += noise[i] * base[i];
        }
        float[] ortho = new float[base.length];
        double s = 0;
        for (int i = 0; i < base.length; i++) {
            ortho[i] = (float) (noise[i] - d * base[i]);
            s += ortho[i] * ortho[i];
        }
        float[] out = new float[base.length];
        double sin = Math.sqrt(1 - cos * cos);
        for (int i = 0; i < base.length; i++) {
            out[i] = (float) (cos * base[i] + sin * ortho[i] / Math.sqrt(s));
        }
        return out;
    }
}
