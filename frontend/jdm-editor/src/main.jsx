// The canvas of the decision studio: @gorules/jdm-editor's DecisionGraph mounted into a page
// element. The page talks to it through window.ZhanyeJdm (mount, getGraph, setSimulation).
import React, { useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { DecisionGraph, JdmConfigProvider } from '@gorules/jdm-editor';
import '@gorules/jdm-editor/dist/style.css';

let current = null;
let simulationSetter = null;

function Canvas({ initial, disabled, onChange }) {
  const [graph, setGraph] = useState(initial);
  const [simulate, setSimulate] = useState(undefined);
  useEffect(() => {
    simulationSetter = setSimulate;
    return () => { simulationSetter = null; };
  }, []);
  return (
    <JdmConfigProvider>
      <DecisionGraph
        value={graph}
        disabled={disabled}
        simulate={simulate}
        onChange={(val) => { current = val; setGraph(val); if (onChange) onChange(val); }}
      />
    </JdmConfigProvider>
  );
}

export function mount(element, { graph, disabled = false, onChange } = {}) {
  current = graph;
  const root = createRoot(element);
  root.render(<Canvas initial={graph} disabled={disabled} onChange={onChange} />);
  return root;
}

export function getGraph() {
  return current;
}

// result: our simulate API's answer {output, trace, performance}; shows the trace on the nodes.
export function setSimulation(result, error) {
  if (!simulationSetter) return;
  if (error) {
    simulationSetter({ error: { title: 'Error', message: error.message || String(error), data: { nodeId: error.nodeId } } });
  } else if (result) {
    simulationSetter({ result: { performance: result.performance || '', result: result.output, snapshot: current, trace: result.trace || {} } });
  } else {
    simulationSetter(undefined);
  }
}
