// Stand-in for `@monaco-editor/react` (which would load Monaco from a CDN): a plain textarea.
import React from 'react';

export function Editor({ value, defaultValue, onChange, options }) {
  return (
    <textarea
      style={{ width: '100%', height: '100%', fontFamily: 'monospace', fontSize: 12 }}
      defaultValue={value ?? defaultValue ?? ''}
      readOnly={Boolean(options && options.readOnly)}
      onChange={(e) => onChange && onChange(e.target.value)}
    />
  );
}

export function DiffEditor({ modified }) {
  return <pre style={{ whiteSpace: 'pre-wrap' }}>{modified}</pre>;
}

export const loader = { config: () => {}, init: () => Promise.resolve(null) };

export function useMonaco() {
  return null;
}

export default Editor;
