/*
 * faiss_c_shim.cpp - the part of the official FAISS C API that docent calls
 * (index/vectors.c), implemented on top of the FAISS C++ library.
 *
 * Debian ships the C API headers (faiss/c_api/...) but not the library
 * behind them, so this file provides exactly the functions vectors.c uses,
 * with the signatures from those headers and nothing more. Every entry point
 * that can fail catches all C++ exceptions, returns the C API's error code
 * (FAISS_EXCEPT, STD_EXCEPT, UNKNOWN_EXCEPT) and keeps the exception's text
 * for faiss_get_last_error(), per thread. Nothing here prints. Build it only
 * where no FAISS C API library (libfaiss_c) is installed.
 */
#include <faiss/c_api/AutoTune_c.h>
#include <faiss/c_api/IndexFlat_c.h>
#include <faiss/c_api/IndexIVF_c.h>
#include <faiss/c_api/Index_c.h>
#include <faiss/c_api/MetaIndexes_c.h>
#include <faiss/c_api/error_c.h>
#include <faiss/c_api/impl/AuxIndexStructures_c.h>
#include <faiss/c_api/index_factory_c.h>
#include <faiss/c_api/index_io_c.h>
#include <faiss/c_api/utils/distances_c.h>

#include <faiss/AutoTune.h>
#include <faiss/Index.h>
#include <faiss/IndexFlat.h>
#include <faiss/IndexIDMap.h>
#include <faiss/IndexIVF.h>
#include <faiss/impl/AuxIndexStructures.h>
#include <faiss/impl/FaissException.h>
#include <faiss/impl/IDSelector.h>
#include <faiss/index_factory.h>
#include <faiss/index_io.h>
#include <faiss/invlists/OnDiskInvertedLists.h>
#include <faiss/utils/distances.h>

#include <exception>
#include <new>
#include <string>

namespace {

thread_local std::string last_error;
thread_local bool has_error = false;

int fail(int code, const char *what)
{
	try {
		last_error = what ? what : "unknown error";
	} catch (...) {
		/* no memory for the text: the code alone must do */
		last_error.clear();
	}
	has_error = true;
	return code;
}

/* Runs f(), turning any exception into the C API's codes. */
template <typename F>
int guard(F f)
{
	try {
		f();
		return OK;
	} catch (const faiss::FaissException &e) {
		return fail(FAISS_EXCEPT, e.what());
	} catch (const std::exception &e) {
		return fail(STD_EXCEPT, e.what());
	} catch (...) {
		return fail(UNKNOWN_EXCEPT, "unknown C++ exception in FAISS");
	}
}

faiss::Index *ix(FaissIndex *p) { return reinterpret_cast<faiss::Index *>(p); }
const faiss::Index *ix(const FaissIndex *p) { return reinterpret_cast<const faiss::Index *>(p); }
FaissIndex *handle(faiss::Index *p) { return reinterpret_cast<FaissIndex *>(p); }

} // namespace

extern "C" {

const char *faiss_get_last_error()
{
	return has_error ? last_error.c_str() : nullptr;
}

/* ---- Index ---- */

void faiss_Index_free(FaissIndex *obj)
{
	delete ix(obj);
}

int faiss_Index_d(const FaissIndex *obj) { return ix(obj)->d; }
int faiss_Index_is_trained(const FaissIndex *obj) { return ix(obj)->is_trained; }
idx_t faiss_Index_ntotal(const FaissIndex *obj) { return ix(obj)->ntotal; }

FaissMetricType faiss_Index_metric_type(const FaissIndex *obj)
{
	return static_cast<FaissMetricType>(ix(obj)->metric_type);
}

int faiss_Index_train(FaissIndex *index, idx_t n, const float *x)
{
	return guard([&] { ix(index)->train(n, x); });
}

int faiss_Index_add_with_ids(FaissIndex *index, idx_t n, const float *x, const idx_t *xids)
{
	return guard([&] { ix(index)->add_with_ids(n, x, xids); });
}

int faiss_Index_search(const FaissIndex *index, idx_t n, const float *x, idx_t k,
		float *distances, idx_t *labels)
{
	return guard([&] { ix(index)->search(n, x, k, distances, labels); });
}

int faiss_Index_reconstruct(const FaissIndex *index, idx_t key, float *recons)
{
	return guard([&] { ix(index)->reconstruct(key, recons); });
}

int faiss_Index_reset(FaissIndex *index)
{
	return guard([&] { ix(index)->reset(); });
}

int faiss_Index_remove_ids(FaissIndex *index, const FaissIDSelector *sel, size_t *n_removed)
{
	return guard([&] {
		size_t n = ix(index)->remove_ids(*reinterpret_cast<const faiss::IDSelector *>(sel));
		if (n_removed)
			*n_removed = n;
	});
}

/* ---- IndexFlat ---- */

int faiss_IndexFlatIP_new_with(FaissIndexFlatIP **p_index, idx_t d)
{
	return guard([&] {
		*p_index = reinterpret_cast<FaissIndexFlatIP *>(new faiss::IndexFlatIP(d));
	});
}

FaissIndexFlat *faiss_IndexFlat_cast(FaissIndex *index)
{
	return reinterpret_cast<FaissIndexFlat *>(dynamic_cast<faiss::IndexFlat *>(ix(index)));
}

/* ---- IndexIDMap ---- */

int faiss_IndexIDMap_new(FaissIndexIDMap **p_index, FaissIndex *index)
{
	return guard([&] {
		*p_index = reinterpret_cast<FaissIndexIDMap *>(new faiss::IndexIDMap(ix(index)));
	});
}

FaissIndexIDMap *faiss_IndexIDMap_cast(FaissIndex *index)
{
	return reinterpret_cast<FaissIndexIDMap *>(dynamic_cast<faiss::IndexIDMap *>(ix(index)));
}

int faiss_IndexIDMap_own_fields(const FaissIndexIDMap *obj)
{
	return reinterpret_cast<const faiss::IndexIDMap *>(obj)->own_fields;
}

void faiss_IndexIDMap_set_own_fields(FaissIndexIDMap *obj, int own)
{
	reinterpret_cast<faiss::IndexIDMap *>(obj)->own_fields = own != 0;
}

void faiss_IndexIDMap_id_map(FaissIndexIDMap *index, idx_t **p_id_map, size_t *p_size)
{
	auto *m = reinterpret_cast<faiss::IndexIDMap *>(index);
	*p_id_map = m->id_map.data();
	*p_size = m->id_map.size();
}

FaissIndex *faiss_IndexIDMap_sub_index(FaissIndexIDMap *index)
{
	return handle(reinterpret_cast<faiss::IndexIDMap *>(index)->index);
}

/* ---- IndexIVF ---- */

FaissIndexIVF *faiss_IndexIVF_cast(FaissIndex *index)
{
	return reinterpret_cast<FaissIndexIVF *>(dynamic_cast<faiss::IndexIVF *>(ix(index)));
}

size_t faiss_IndexIVF_nlist(const FaissIndexIVF *obj)
{
	return reinterpret_cast<const faiss::IndexIVF *>(obj)->nlist;
}

size_t faiss_IndexIVF_nprobe(const FaissIndexIVF *obj)
{
	return reinterpret_cast<const faiss::IndexIVF *>(obj)->nprobe;
}

void faiss_IndexIVF_set_nprobe(FaissIndexIVF *obj, size_t nprobe)
{
	reinterpret_cast<faiss::IndexIVF *>(obj)->nprobe = nprobe;
}

/* ---- factory, I/O ---- */

int faiss_index_factory(FaissIndex **p_index, int d, const char *description,
		FaissMetricType metric)
{
	return guard([&] {
		*p_index = handle(faiss::index_factory(d, description,
			static_cast<faiss::MetricType>(metric)));
	});
}

int faiss_write_index(const FaissIndex *idx, FILE *f)
{
	return guard([&] { faiss::write_index(ix(idx), f); });
}

/*
 * FAISS 1.7.3's C header numbers its flags FAISS_IO_FLAG_MMAP 1 and
 * FAISS_IO_FLAG_READ_ONLY 2, but the C++ library reads IO_FLAG_MMAP as
 * 0x646f0008 (1 means nothing to it), so the C values are translated here.
 * A mapped IVF index's lists are in the page cache, so FAISS's prefetch
 * threads (up to 32 started for every search) are turned off: they only
 * added latency (docs/faiss.md).
 */
int faiss_read_index_fname(const char *fname, int io_flags, FaissIndex **p_out)
{
	int flags = 0;

	if (io_flags & FAISS_IO_FLAG_MMAP)
		flags |= faiss::IO_FLAG_MMAP;
	if (io_flags & FAISS_IO_FLAG_READ_ONLY)
		flags |= faiss::IO_FLAG_READ_ONLY;
	return guard([&] {
		faiss::Index *index = faiss::read_index(fname, flags);
		auto *map = dynamic_cast<faiss::IndexIDMap *>(index);
		auto *ivf = dynamic_cast<faiss::IndexIVF *>(map ? map->index : index);
		auto *ondisk = ivf ? dynamic_cast<faiss::OnDiskInvertedLists *>(ivf->invlists) : nullptr;

		if (ondisk)
			ondisk->prefetch_nthread = 0;
		*p_out = handle(index);
	});
}

/* ---- search parameters ---- */

int faiss_ParameterSpace_new(FaissParameterSpace **space)
{
	return guard([&] {
		*space = reinterpret_cast<FaissParameterSpace *>(new faiss::ParameterSpace());
	});
}

void faiss_ParameterSpace_free(FaissParameterSpace *obj)
{
	delete reinterpret_cast<faiss::ParameterSpace *>(obj);
}

int faiss_ParameterSpace_set_index_parameters(const FaissParameterSpace *space,
		FaissIndex *index, const char *params)
{
	return guard([&] {
		reinterpret_cast<const faiss::ParameterSpace *>(space)->set_index_parameters(
			ix(index), params);
	});
}

/* ---- ID selectors ---- */

int faiss_IDSelectorBatch_new(FaissIDSelectorBatch **p_sel, size_t n, const idx_t *indices)
{
	return guard([&] {
		*p_sel = reinterpret_cast<FaissIDSelectorBatch *>(
			new faiss::IDSelectorBatch(n, indices));
	});
}

void faiss_IDSelector_free(FaissIDSelector *obj)
{
	delete reinterpret_cast<faiss::IDSelector *>(obj);
}

/* ---- distance settings ---- */

void faiss_set_distance_compute_blas_threshold(int value)
{
	faiss::distance_compute_blas_threshold = value;
}

int faiss_get_distance_compute_blas_threshold()
{
	return faiss::distance_compute_blas_threshold;
}

} // extern "C"
