"""The shared array engine: one implementation of the semantics for numpy and torch.

flatten (a Network to flat arrays), inputs (spike inputs per trial), array_engine (the step
loop and run_engine, the body of every engine backend's run), stdp (pair STDP event by event),
numpy_ops / torch_ops (the array library the engine runs on; torch_ops imports torch),
cell_input (input for library neuron cells), spike_log (spikes to a Result), session (live
sessions, window by window) and budget (the memory a run needs, checked before it starts).
numerics="fixed" runs fixed_engine with fixed_neurons, fixed_stdp, fixed_point and board_weights.
"""
