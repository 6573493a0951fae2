"""Running PyNN scripts on spikemem: `spikemem pynn run` (an import hook serving the script's simulator
as spikemem.pynn), sPyNNaker's helper shims, and `spikemem bench pynn-frontend`. Importing this
package imports no simulator; spikemem.pynn (and PyNN) load when a script runs.
"""
