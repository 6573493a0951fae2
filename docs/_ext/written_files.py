"""A sphinx-gallery image scraper for the pictures a tutorial writes to disk.

spikemem draws its plots off-screen (matplotlib's object-oriented API, no pyplot), so the usual
scraper, which collects pyplot's open figures, does not see them. The tutorials write them as PNG
files the way a user would (`spikemem demo` writes ca3_demo.png); this scraper embeds every PNG a
code block wrote into the tutorial's page and moves it out of the tutorials folder.
"""
from pathlib import Path
import shutil


class WrittenFiles:
    def __repr__(self):               # sphinx-gallery caches its configuration by repr
        return "WrittenFiles"

    def __call__(self, block, block_vars, gallery_conf):
        from sphinx_gallery.scrapers import figure_rst
        folder = Path(block_vars["src_file"]).parent
        names = block_vars["image_path_iterator"]
        written = []
        for png in sorted(folder.glob("*.png"), key=lambda p: p.stat().st_mtime):
            target = Path(next(names))
            shutil.move(png, target)
            written.append(str(target))
        return figure_rst(written, gallery_conf["src_dir"])
