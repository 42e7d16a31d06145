// density-clustering ships no types; only the DBSCAN part Peakcast uses is declared.
declare module 'density-clustering' {
  export class DBSCAN {
    constructor()
    /** returns clusters as lists of dataset indices */
    run<T>(dataset: T[], epsilon: number, minPts: number, distance?: (a: T, b: T) => number): number[][]
    noise: number[]
  }
  const clustering: { DBSCAN: typeof DBSCAN }
  export default clustering
}
