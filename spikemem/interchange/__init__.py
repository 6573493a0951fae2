"""Formats that carry a description or a result out of spikemem and back in.

json_format (versioned JSON of a Network), nir_graph (NIR graphs, built on nir_write, nir_read
and nir_semantics; nir_peers runs one in Norse or snnTorch; the [nir] extra) and neo_block
(Results as neo Blocks; the [neo] extra).
"""
