// Stand-in for `monaco-editor`: the canvas only needs its MarkerSeverity enum. Function nodes
// (JavaScript) are not used by Zhanye strategies, so the 4 MB Monaco editor is left out.
export const MarkerSeverity = { Hint: 1, Info: 2, Warning: 4, Error: 8 };
export default { MarkerSeverity };
