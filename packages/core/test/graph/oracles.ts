/** Float64 oracles for variants the core references do not cover. */

/** The contrastive loss of docs/method/losses.md with w_ij = 1, in float64. */
export function plainSupCon(features: ArrayLike<number>, labels: readonly number[], c: number, tau: number): number {
  const n = labels.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    let d = 0;
    let pos = 0;
    let count = 0;
    for (let j = 0; j < n; j++) {
      if (j === i) continue;
      let dot = 0;
      for (let q = 0; q < c; q++) dot += features[i * c + q]! * features[j * c + q]!;
      d += Math.exp(dot / tau);
      if (labels[j] === labels[i]) {
        pos += dot / tau;
        count++;
      }
    }
    total += -(pos - count * Math.log(d + 1e-6)) / (count + 1e-6);
  }
  return total / n;
}
