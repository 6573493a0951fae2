"""Formats that carry a description or a result out of spikemem and back in.

json_format (versioned JSON of a Network) and nir_graph (NIR graphs; needs the [nir] extra).
"""
