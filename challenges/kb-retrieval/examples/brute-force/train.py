"""No index to build: predict.py always searches the freshest copy of the knowledge base,
so training only copies it into the model directory."""

import os
import shutil

shutil.copy(os.path.join(os.environ["DATA_DIR"], "articles.csv"), os.environ["MODEL_DIR"])
print("copied the knowledge base")
