#!/usr/bin/env python3
"""make_tiny_models.py - writes random-weight GGUF models for docent's tests
and benchmarks, deterministically (fixed seed) and without any download.

The vocabulary and tokenizer metadata come from the vocabulary-only files in
the pinned llama.cpp source (models/ggml-vocab-*.gguf), the GGUF writer from
its gguf-py package, used in place from that source tree (scripts/llama.sh
--src), never copied here. Weights are normal * 0.02, norms one, biases zero:
the models load, tokenize, embed and generate like real ones, with the same
tensor names and shapes, but what they say is noise.

  --shape tiny        build/models/tiny-embed.gguf and tiny-chat.gguf (tests)
  --shape tiny-embed  BERT, 2 layers, hidden 64, 4 heads, mean pooling, ctx 512
  --shape tiny-chat   Qwen2, 2 layers, hidden 64, 4 heads (2 kv), ctx 2048,
                      ChatML template
  --shape tiny-llama  Llama, 2 layers, hidden 64, Llama 3 vocabulary and the
                      Llama 3.2 Instruct chat template (Llama 3.x 1B/3B/8B)
  --shape tiny-phi3   Phi-3, 2 layers, fused QKV and gate/up, the Phi-3
                      vocabulary and its chat template (Phi-3-mini)
  --shape tiny-gemma2 Gemma 2, 2 layers, post-norms and soft-capping, the
                      Gemma 2 2B it chat template (no system role). No Gemma 2
                      vocabulary ships with llama.cpp: the Llama SentencePiece
                      one with Gemma's turn tokens added as control tokens
  --shape tiny-rerank BERT cross-encoder, 2 layers, hidden 64, rank pooling with
                      a classification head (cls, cls.output) as llama.cpp
                      converts bge-reranker; ctx 512
  --shape tiny-rerank-tmpl  the same with a "rerank" chat template in its
                      metadata, as Qwen3 rerankers carry
  --shape minilm      BERT shaped like all-MiniLM-L6-v2: 384 x 6 layers, F16
  --shape rerank-base a cross-encoder shaped like bge-reranker-base (768 x 12
                      layers, F16) but with the BERT vocabulary
  --shape rerank-minilm  a cross-encoder shaped like ms-marco-MiniLM-L-6-v2
                      (384 x 6 layers, F16)
  --shape qwen0.5b    Qwen2 shaped like Qwen2.5-0.5B-Instruct: 896 x 24 layers,
                      vocab 151936, quantised with llama-quantize (--quant)

Needs numpy: run it with the python that `scripts/llama.sh --python` prints.
"""

import argparse
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

CHATML = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}"
)

# A rerank template in the form llama.cpp reads from tokenizer.chat_template.rerank:
# {query} and {document} are replaced, special tokens in it are parsed.
RERANK_TEMPLATE = "[CLS]query: {query}[SEP]passage: {document}[SEP]"

# kind, vocabulary file, sizes, storage type of the matrices, output name.
SHAPES = {
    "tiny-embed": dict(kind="bert", vocab="ggml-vocab-bert-bge.gguf", n_embd=64, n_layer=2,
                       n_head=4, n_ff=128, n_ctx=512, dtype="f16", seed=1,
                       out="tiny-embed.gguf"),
    "tiny-chat": dict(kind="qwen2", vocab="ggml-vocab-qwen2.gguf", n_embd=64, n_layer=2,
                      n_head=4, n_head_kv=2, n_ff=128, n_ctx=2048, dtype="f16", seed=2,
                      out="tiny-chat.gguf"),
    # One per chat architecture of the catalogue's small models; each with
    # its real chat template (from llama.cpp's models/templates/ or the
    # vocabulary file), so that the template llama.cpp picks is the real one.
    "tiny-llama": dict(kind="llama", vocab="ggml-vocab-llama-bpe.gguf", n_embd=64, n_layer=2,
                       n_head=4, n_head_kv=2, n_ff=128, n_ctx=2048, dtype="f16", seed=5,
                       template="templates/meta-llama-Llama-3.2-3B-Instruct.jinja",
                       eos="<|eot_id|>", out="tiny-llama.gguf"),
    "tiny-phi3": dict(kind="phi3", vocab="ggml-vocab-phi-3.gguf", n_embd=64, n_layer=2,
                      n_head=4, n_head_kv=4, n_ff=128, n_ctx=2048, dtype="f16", seed=6,
                      template=None, eos="<|end|>", out="tiny-phi3.gguf"),
    "tiny-gemma2": dict(kind="gemma2", vocab="ggml-vocab-llama-spm.gguf", n_embd=64, n_layer=2,
                        n_head=4, n_head_kv=2, n_ff=128, n_ctx=2048, dtype="f16", seed=7,
                        template="templates/google-gemma-2-2b-it.jinja",
                        extra_control=["<start_of_turn>", "<end_of_turn>"],
                        eos="<end_of_turn>", out="tiny-gemma2.gguf"),
    "tiny-rerank": dict(kind="bert", vocab="ggml-vocab-bert-bge.gguf", n_embd=64, n_layer=2,
                        n_head=4, n_ff=128, n_ctx=512, dtype="f16", seed=5, rank=True,
                        out="tiny-rerank.gguf"),
    "tiny-rerank-tmpl": dict(kind="bert", vocab="ggml-vocab-bert-bge.gguf", n_embd=64,
                             n_layer=2, n_head=4, n_ff=128, n_ctx=512, dtype="f16", seed=5,
                             rank=True, rerank_template=RERANK_TEMPLATE,
                             out="tiny-rerank-tmpl.gguf"),
    # bge-reranker-base is XLM-RoBERTa (250k SentencePiece vocabulary); the
    # vocabulary changes the file size, not the work per token.
    "rerank-base": dict(kind="bert", vocab="ggml-vocab-bert-bge.gguf", n_embd=768, n_layer=12,
                        n_head=12, n_ff=3072, n_ctx=512, dtype="f16", seed=6, rank=True,
                        out="rerank-base-random-f16.gguf"),
    "rerank-minilm": dict(kind="bert", vocab="ggml-vocab-bert-bge.gguf", n_embd=384,
                          n_layer=6, n_head=12, n_ff=1536, n_ctx=512, dtype="f16", seed=7,
                          rank=True, out="rerank-minilm-random-f16.gguf"),
    "minilm": dict(kind="bert", vocab="ggml-vocab-bert-bge.gguf", n_embd=384, n_layer=6,
                   n_head=12, n_ff=1536, n_ctx=512, dtype="f16", seed=3,
                   out="minilm-l6-random-f16.gguf"),
    "qwen0.5b": dict(kind="qwen2", vocab="ggml-vocab-qwen2.gguf", n_embd=896, n_layer=24,
                     n_head=14, n_head_kv=2, n_ff=4864, n_ctx=32768, dtype="f16", seed=4,
                     out="qwen2-0.5b-random-{quant}.gguf"),
}


def read_template(vocab_path, rel):
    """A chat template from the pinned llama.cpp source's models/ folder."""
    return (Path(vocab_path).parent / rel).read_text(encoding="utf-8")


def llama_sh(arg):
    """Asks scripts/llama.sh for a path; it fetches or builds what is missing."""
    res = subprocess.run([str(HERE / "llama.sh"), arg], stdout=subprocess.PIPE, text=True)
    if res.returncode != 0 or not res.stdout.strip():
        sys.exit(f"make_tiny_models: scripts/llama.sh {arg} failed (see above)")
    return Path(res.stdout.strip())


class Maker:
    def __init__(self, gguf, np, shape, cfg):
        self.gguf, self.np, self.cfg = gguf, np, cfg
        self.rng = np.random.default_rng(cfg["seed"])
        self.mat_dtype = np.float16 if cfg["dtype"] == "f16" else np.float32
        self.shape = shape

    def tname(self, tensor, suffix, bid=None):
        name = self.gguf.TENSOR_NAMES[tensor]
        if bid is not None:
            name = name.format(bid=bid)
        return f"{name}.{suffix}"

    # ggml lists dimensions innermost first ({n_embd, n_vocab}); numpy wants
    # them outermost first, hence the reversal.
    def matrix(self, w, name, ne, dtype=None):
        np = self.np
        data = self.rng.standard_normal(tuple(reversed(ne)), dtype=np.float32) * np.float32(0.02)
        w.add_tensor(name, data.astype(dtype or self.mat_dtype))

    def ones(self, w, name, n):
        w.add_tensor(name, self.np.ones((n,), dtype=self.np.float32))

    def zeros(self, w, name, n):
        w.add_tensor(name, self.np.zeros((n,), dtype=self.np.float32))

    def copy_tokenizer(self, w, vocab_path, skip=()):
        """Copies every tokenizer.* key of the vocabulary-only file."""
        gguf = self.gguf
        reader = gguf.GGUFReader(vocab_path)
        for key, field in reader.fields.items():
            if not key.startswith("tokenizer.") or key in skip:
                continue
            vtype = field.types[0]
            if vtype == gguf.GGUFValueType.ARRAY:
                w.add_key_value(key, field.contents(), vtype, sub_type=field.types[-1])
            else:
                w.add_key_value(key, field.contents(), vtype)
        return reader

    def write(self, path, vocab_path):
        gguf, cfg = self.gguf, self.cfg
        arch = cfg["kind"]
        w = gguf.GGUFWriter(str(path), arch)
        w.add_name(f"docent-{self.shape} (random weights)")
        w.add_description("Random weights for docent's tests and benchmarks; its output is noise.")
        w.add_context_length(cfg["n_ctx"])
        w.add_embedding_length(cfg["n_embd"])
        w.add_block_count(cfg["n_layer"])
        w.add_feed_forward_length(cfg["n_ff"])
        w.add_head_count(cfg["n_head"])
        ftype = gguf.LlamaFileType.MOSTLY_F16 if cfg["dtype"] == "f16" else gguf.LlamaFileType.ALL_F32
        w.add_file_type(ftype)
        if arch == "bert":
            self.write_bert(w, vocab_path)
        elif arch in ("llama", "phi3", "gemma2"):
            self.write_decoder(w, vocab_path)
        else:
            self.write_qwen2(w, vocab_path)
        w.write_header_to_file()
        w.write_kv_data_to_file()
        w.write_tensors_to_file()
        w.close()

    def write_bert(self, w, vocab_path):
        gguf, cfg, T = self.gguf, self.cfg, self.gguf.MODEL_TENSOR
        E, F = cfg["n_embd"], cfg["n_ff"]
        w.add_layer_norm_eps(1e-12)
        w.add_causal_attention(False)
        if cfg.get("rank"):
            w.add_pooling_type(gguf.PoolingType.RANK)
            if cfg.get("rerank_template"):
                w.add_chat_template([{"name": "rerank", "template": cfg["rerank_template"]}])
        else:
            w.add_pooling_type(gguf.PoolingType.MEAN)
        reader = self.copy_tokenizer(w, vocab_path)
        n_vocab = len(reader.fields["tokenizer.ggml.tokens"].data)
        n_types = int(reader.fields["tokenizer.ggml.token_type_count"].contents())

        self.matrix(w, self.tname(T.TOKEN_EMBD, "weight"), (E, n_vocab))
        # Added to the activations with ggml_add, which wants F32 (as the
        # converted BERT models have them).
        self.matrix(w, self.tname(T.TOKEN_TYPES, "weight"), (E, n_types), self.np.float32)
        self.matrix(w, self.tname(T.POS_EMBD, "weight"), (E, cfg["n_ctx"]), self.np.float32)
        self.ones(w, self.tname(T.TOKEN_EMBD_NORM, "weight"), E)
        self.zeros(w, self.tname(T.TOKEN_EMBD_NORM, "bias"), E)
        for i in range(cfg["n_layer"]):
            for t in (T.ATTN_Q, T.ATTN_K, T.ATTN_V, T.ATTN_OUT):
                self.matrix(w, self.tname(t, "weight", i), (E, E))
                self.zeros(w, self.tname(t, "bias", i), E)
            self.ones(w, self.tname(T.ATTN_OUT_NORM, "weight", i), E)
            self.zeros(w, self.tname(T.ATTN_OUT_NORM, "bias", i), E)
            self.matrix(w, self.tname(T.FFN_UP, "weight", i), (E, F))
            self.zeros(w, self.tname(T.FFN_UP, "bias", i), F)
            self.matrix(w, self.tname(T.FFN_DOWN, "weight", i), (F, E))
            self.zeros(w, self.tname(T.FFN_DOWN, "bias", i), E)
            self.ones(w, self.tname(T.LAYER_OUT_NORM, "weight", i), E)
            self.zeros(w, self.tname(T.LAYER_OUT_NORM, "bias", i), E)
        if cfg.get("rank"):
            # The classification head of a sequence classifier, which rank
            # pooling applies to the first token: cls (dense + tanh), then
            # cls.output to one score.
            self.matrix(w, self.tname(T.CLS, "weight"), (E, E))
            self.zeros(w, self.tname(T.CLS, "bias"), E)
            self.matrix(w, self.tname(T.CLS_OUT, "weight"), (E, 1))
            self.zeros(w, self.tname(T.CLS_OUT, "bias"), 1)

    def write_qwen2(self, w, vocab_path):
        cfg, T = self.cfg, self.gguf.MODEL_TENSOR
        E, F = cfg["n_embd"], cfg["n_ff"]
        kv = E // cfg["n_head"] * cfg["n_head_kv"]
        w.add_head_count_kv(cfg["n_head_kv"])
        w.add_rope_freq_base(1000000.0)
        w.add_layer_norm_rms_eps(1e-6)
        reader = self.copy_tokenizer(w, vocab_path, skip=("tokenizer.chat_template",
                                                          "tokenizer.ggml.eos_token_id"))
        n_vocab = len(reader.fields["tokenizer.ggml.tokens"].data)
        # As in Qwen2.5-Instruct: a turn ends with <|im_end|>, no BOS is added.
        tokens = reader.fields["tokenizer.ggml.tokens"].contents()
        w.add_eos_token_id(tokens.index("<|im_end|>"))
        w.add_add_bos_token(False)
        w.add_chat_template(CHATML)

        # No output.weight: the output projection is tied to token_embd, as
        # in the small Qwen2 models.
        self.matrix(w, self.tname(T.TOKEN_EMBD, "weight"), (E, n_vocab))
        self.ones(w, self.tname(T.OUTPUT_NORM, "weight"), E)
        for i in range(cfg["n_layer"]):
            self.ones(w, self.tname(T.ATTN_NORM, "weight", i), E)
            self.matrix(w, self.tname(T.ATTN_Q, "weight", i), (E, E))
            self.zeros(w, self.tname(T.ATTN_Q, "bias", i), E)
            self.matrix(w, self.tname(T.ATTN_K, "weight", i), (E, kv))
            self.zeros(w, self.tname(T.ATTN_K, "bias", i), kv)
            self.matrix(w, self.tname(T.ATTN_V, "weight", i), (E, kv))
            self.zeros(w, self.tname(T.ATTN_V, "bias", i), kv)
            self.matrix(w, self.tname(T.ATTN_OUT, "weight", i), (E, E))
            self.ones(w, self.tname(T.FFN_NORM, "weight", i), E)
            self.matrix(w, self.tname(T.FFN_GATE, "weight", i), (E, F))
            self.matrix(w, self.tname(T.FFN_UP, "weight", i), (E, F))
            self.matrix(w, self.tname(T.FFN_DOWN, "weight", i), (F, E))

    def decoder_tokenizer(self, w, vocab_path):
        """The vocabulary's tokenizer, with added control tokens, the chat
        template and the end-of-turn token of the shape. Returns n_vocab."""
        gguf, cfg = self.gguf, self.cfg
        extra = cfg.get("extra_control", [])
        token_keys = ("tokenizer.ggml.tokens", "tokenizer.ggml.scores",
                      "tokenizer.ggml.token_type")
        skip = ("tokenizer.chat_template", "tokenizer.ggml.eos_token_id") + (token_keys if extra else ())
        reader = self.copy_tokenizer(w, vocab_path, skip=skip)
        tokens = list(reader.fields["tokenizer.ggml.tokens"].contents())
        if extra:
            scores = list(reader.fields["tokenizer.ggml.scores"].contents())
            types = list(reader.fields["tokenizer.ggml.token_type"].contents())
            for t in extra:
                tokens.append(t)
                scores.append(0.0)
                types.append(int(gguf.TokenType.CONTROL))
            w.add_token_list(tokens)
            w.add_token_scores(scores)
            w.add_token_types(types)
        w.add_eos_token_id(tokens.index(cfg["eos"]))
        if cfg.get("template"):
            w.add_chat_template(read_template(vocab_path, cfg["template"]))
        else:
            w.add_chat_template(reader.fields["tokenizer.chat_template"].contents())
        return len(tokens)

    def write_decoder(self, w, vocab_path):
        """Llama, Phi-3 and Gemma 2: the tensors llama.cpp's loaders ask for."""
        cfg, T, arch = self.cfg, self.gguf.MODEL_TENSOR, self.cfg["kind"]
        E, F = cfg["n_embd"], cfg["n_ff"]
        kv = E // cfg["n_head"] * cfg["n_head_kv"]
        w.add_head_count_kv(cfg["n_head_kv"])
        w.add_layer_norm_rms_eps(1e-6)
        w.add_rope_dimension_count(E // cfg["n_head"])
        if arch == "llama":
            w.add_rope_freq_base(500000.0)
        if arch == "gemma2":
            w.add_key_length(E // cfg["n_head"])
            w.add_value_length(E // cfg["n_head"])
            w.add_sliding_window(256)
            w.add_attn_logit_softcapping(50.0)
            w.add_final_logit_softcapping(30.0)
        n_vocab = self.decoder_tokenizer(w, vocab_path)

        # The output projection is tied to token_embd (as in the small
        # Llama 3.2 and Gemma models; optional in Phi-3's loader).
        self.matrix(w, self.tname(T.TOKEN_EMBD, "weight"), (E, n_vocab))
        self.ones(w, self.tname(T.OUTPUT_NORM, "weight"), E)
        for i in range(cfg["n_layer"]):
            self.ones(w, self.tname(T.ATTN_NORM, "weight", i), E)
            if arch == "phi3":
                self.matrix(w, self.tname(T.ATTN_QKV, "weight", i), (E, E + 2 * kv))
            else:
                self.matrix(w, self.tname(T.ATTN_Q, "weight", i), (E, E))
                self.matrix(w, self.tname(T.ATTN_K, "weight", i), (E, kv))
                self.matrix(w, self.tname(T.ATTN_V, "weight", i), (E, kv))
            self.matrix(w, self.tname(T.ATTN_OUT, "weight", i), (E, E))
            self.ones(w, self.tname(T.FFN_NORM, "weight", i), E)
            if arch == "phi3":
                self.matrix(w, self.tname(T.FFN_UP, "weight", i), (E, 2 * F))
            else:
                self.matrix(w, self.tname(T.FFN_GATE, "weight", i), (E, F))
                self.matrix(w, self.tname(T.FFN_UP, "weight", i), (E, F))
            self.matrix(w, self.tname(T.FFN_DOWN, "weight", i), (F, E))
            if arch == "gemma2":
                self.ones(w, self.tname(T.ATTN_POST_NORM, "weight", i), E)
                self.ones(w, self.tname(T.FFN_POST_NORM, "weight", i), E)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shape", default="tiny", choices=["tiny"] + list(SHAPES))
    ap.add_argument("--out-dir", default="build/models", help="default: build/models")
    ap.add_argument("--llama-src", help="pinned llama.cpp source (default: scripts/llama.sh --src)")
    ap.add_argument("--llama-bin", help="llama.cpp tools (default: scripts/llama.sh --bin)")
    ap.add_argument("--quant", default="Q4_K_M", help="llama-quantize type for qwen0.5b (Q4_K_M, Q8_0...)")
    args = ap.parse_args()

    try:
        import numpy as np
    except ImportError:
        sys.exit("make_tiny_models: numpy is missing; run this with the python3 that "
                 "`scripts/llama.sh --python` prints (it installs python3-numpy as root)")
    src = Path(args.llama_src or os.environ.get("LLAMA_SRC") or llama_sh("--src"))
    if not (src / "gguf-py" / "gguf").is_dir():
        sys.exit(f"make_tiny_models: {src} has no gguf-py/; pass --llama-src DIR")
    sys.path.insert(0, str(src / "gguf-py"))
    import gguf  # noqa: E402  (from the pinned source, found at run time)

    out_dir = Path(args.out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    shapes = ["tiny-embed", "tiny-chat"] if args.shape == "tiny" else [args.shape]
    for shape in shapes:
        cfg = SHAPES[shape]
        quant = args.quant if shape == "qwen0.5b" else None
        final = out_dir / cfg["out"].format(quant=(quant or "").lower())
        # Written beside the target and renamed: never a half-written model.
        tmp = final.with_name(final.name + f".tmp{os.getpid()}")
        try:
            Maker(gguf, np, shape, cfg).write(tmp, src / "models" / cfg["vocab"])
            if quant:
                qbin = Path(args.llama_bin or llama_sh("--bin")) / "llama-quantize"
                qtmp = final.with_name(final.name + f".q{os.getpid()}")
                print(f"make_tiny_models: quantising to {quant} with {qbin}", file=sys.stderr)
                res = subprocess.run([str(qbin), str(tmp), str(qtmp), quant, "2"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                if res.returncode != 0:
                    sys.stderr.write(res.stdout[-4000:])
                    sys.exit(f"make_tiny_models: llama-quantize {quant} failed")
                os.replace(qtmp, tmp)
            os.replace(tmp, final)
        finally:
            for leftover in out_dir.glob(final.name + ".*"):
                leftover.unlink()
        print(f"make_tiny_models: wrote {final} ({final.stat().st_size / 1e6:.1f} MB)",
              file=sys.stderr)


if __name__ == "__main__":
    main()
