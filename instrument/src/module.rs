//! Module assembly: copies the original sections (function indices shifted past the added
//! imports), instruments every body, and appends the added imports, globals, table, element
//! segment, helper functions and exports (see the crate docs).

use baton_checkpoint::analysis::ModuleAnalysis;
use wasm_encoder::reencode::Reencode;
use wasm_encoder::{
    BranchHint, BranchHints, CodeSection, ConstExpr, DataCountSection, DataSection, ElementSection,
    Elements, EntityType, ExportKind, ExportSection, Function, FunctionSection, GlobalSection,
    GlobalType, HeapType, ImportSection, Instruction, MemArg, MemorySection, Module, RefType,
    StartSection, TableSection, TableType, TypeSection,
};
use wasmparser::{ElementKind, Parser, Payload, ValType};

use crate::body::{Emitted, Emitter};
use crate::counter;
use crate::error::InstrumentError;
use crate::layout::{
    enc, import_count, import_names, value_types, wire, Layout, Remap, Types, HOST_MODULE,
};
use crate::meta::{Level, Meta, Site, SiteKind};
use crate::mvp;
use crate::names;
use crate::plan::plan;
use crate::{Instrumented, Options};

/// Section readers of the original module.
#[derive(Default)]
struct Sections<'a> {
    types: Option<wasmparser::TypeSectionReader<'a>>,
    imports: Option<wasmparser::ImportSectionReader<'a>>,
    functions: Option<wasmparser::FunctionSectionReader<'a>>,
    tables: Option<wasmparser::TableSectionReader<'a>>,
    memories: Option<wasmparser::MemorySectionReader<'a>>,
    globals: Option<wasmparser::GlobalSectionReader<'a>>,
    exports: Option<wasmparser::ExportSectionReader<'a>>,
    start: Option<u32>,
    elements: Option<wasmparser::ElementSectionReader<'a>>,
    data: Option<wasmparser::DataSectionReader<'a>>,
    code: Vec<wasmparser::FunctionBody<'a>>,
    type_count: u32,
    data_count: bool,
}

fn read_sections(wasm: &[u8]) -> Result<Sections<'_>, InstrumentError> {
    let mut s = Sections::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload? {
            Payload::TypeSection(r) => {
                s.type_count = r.count();
                s.types = Some(r);
            }
            Payload::ImportSection(r) => s.imports = Some(r),
            Payload::FunctionSection(r) => s.functions = Some(r),
            Payload::TableSection(r) => s.tables = Some(r),
            Payload::MemorySection(r) => s.memories = Some(r),
            Payload::GlobalSection(r) => s.globals = Some(r),
            Payload::ExportSection(r) => s.exports = Some(r),
            Payload::StartSection { func, .. } => s.start = Some(func),
            Payload::ElementSection(r) => s.elements = Some(r),
            Payload::DataSection(r) => s.data = Some(r),
            Payload::DataCountSection { .. } => s.data_count = true,
            Payload::CodeSectionEntry(body) => s.code.push(body),
            _ => {}
        }
    }
    Ok(s)
}

/// Rewrites a module already validated by `analysis`.
pub(crate) fn rewrite(
    wasm: &[u8],
    analysis: &ModuleAnalysis,
    options: &Options,
) -> Result<Instrumented, InstrumentError> {
    let s = read_sections(wasm)?;
    let imported_funcs = analysis.imported_func_count();
    let added_imports = import_count(options.mvp);
    let mut remap = Remap {
        imported_funcs,
        imports: added_imports,
    };
    let facts = if options.mvp {
        Some(mvp::check(wasm, analysis)?)
    } else {
        None
    };
    let mut types = Types::new(s.type_count);
    let mut meta = Meta {
        func_count: analysis.func_count(),
        mvp: options.mvp,
        table_segments: facts
            .as_ref()
            .map(|f| f.segments.clone())
            .unwrap_or_default(),
        ..Meta::default()
    };

    // Segment kinds (needed by the bodies for drop flags).
    let mut elem_kinds = Vec::new();
    if let Some(r) = s.elements.clone() {
        for element in r {
            elem_kinds.push(matches!(element?.kind, ElementKind::Passive));
        }
    }
    let mut data_kinds = Vec::new();
    if let Some(r) = s.data.clone() {
        for data in r {
            data_kinds.push(matches!(data?.kind, wasmparser::DataKind::Passive));
        }
    }
    let global_total = analysis.globals().len() as u32;
    if let Some(limit) = options.max_frames {
        if limit >= (1 << crate::layout::DEPTH_BITS) - 1 {
            return Err(InstrumentError::Unsupported(format!(
                "max_frames {limit}: the frame limit must be below {}",
                (1u32 << crate::layout::DEPTH_BITS) - 1
            )));
        }
    }
    let mut next_global = global_total + 3;
    let mut flag = |passive: &bool| {
        passive.then(|| {
            next_global += 1;
            next_global - 1
        })
    };
    let data_flags: Vec<Option<u32>> = data_kinds.iter().map(&mut flag).collect();
    let elem_flags: Vec<Option<u32>> = elem_kinds.iter().map(&mut flag).collect();
    let unwind_site = next_global;
    let first_added = imported_funcs + added_imports + s.code.len() as u32;
    // MVP: the direct dispatches follow the defined functions, one per `call_indirect` type.
    let indirect_types: Vec<u32> = facts
        .as_ref()
        .map(|f| f.indirect_types.iter().copied().collect())
        .unwrap_or_default();
    let mut counter_passing =
        counter::counter_passing(wasm, imported_funcs, analysis.func_count())?;
    let indirect = match &facts {
        Some(facts) => counter::indirect_passing(wasm, analysis, &facts.indirect_types)?,
        None => counter::IndirectPassing::default(),
    };
    for (passes, indexed) in counter_passing.iter_mut().zip(&indirect.indexed) {
        *passes |= *indexed;
    }
    let mut plans = Vec::with_capacity(s.code.len());
    for (i, body) in s.code.iter().enumerate() {
        let func = imported_funcs + i as u32;
        let function = analysis.function(func).ok_or_else(|| {
            InstrumentError::Unsupported(format!("no analysis of function {func}"))
        })?;
        plans.push(plan(analysis, function, body)?);
    }
    // The rewind copies follow the direct dispatches: one per function with sites besides its
    // entry (a function whose one site is its entry lands in an empty block: it is its own
    // rewind copy).
    let mut rewind = vec![None; imported_funcs as usize];
    let mut next_copy = first_added + indirect_types.len() as u32;
    for levels in &plans {
        let sites: usize = levels.iter().map(|level| level.sites.len()).sum();
        rewind.push((sites > 1).then(|| {
            next_copy += 1;
            next_copy - 1
        }));
    }
    let layout = Layout {
        imported_funcs,
        mode: global_total,
        left: global_total + 1,
        slack: global_total + 2,
        frame_limit: options.max_frames,
        // After the rewind copies.
        rearm: options.max_frames.map(|_| next_copy),
        data_flags,
        elem_flags,
        funcs_table: (!options.mvp).then_some(analysis.tables().len() as u32),
        imports: added_imports,
        mvp: options.mvp,
        dispatchers: indirect_types
            .iter()
            .enumerate()
            .map(|(i, ty)| (*ty, first_added + i as u32))
            .collect(),
        data_count: !options.mvp || s.data_count,
        unwind_site,
        counter_passing,
        indexed: indirect.indexed,
        indirect_passing: indirect.types,
        rewind,
    };
    meta.data_passive = data_kinds;
    meta.elem_passive = elem_kinds;

    // Imports.
    let mut imports = ImportSection::new();
    if let Some(r) = s.imports.clone() {
        remap.parse_import_section(&mut imports, r)?;
    }
    let mut import_types = Vec::new();
    import_types.push(types.index(&[ValType::I32, ValType::I32, ValType::I64], &[ValType::I32]));
    import_types.push(types.index(&[ValType::I32], &[]));
    for ty in value_types(options.mvp) {
        import_types.push(types.index(&[wire(*ty)], &[]));
    }
    for ty in value_types(options.mvp) {
        import_types.push(types.index(&[], &[wire(*ty)]));
    }
    import_types.push(types.index(&[], &[]));
    for (name, ty) in import_names(options.mvp).iter().zip(&import_types) {
        imports.import(HOST_MODULE, name, EntityType::Function(*ty));
    }

    // Functions and code (and the hints for the code's rarely taken branches).
    let mut branch_hints = BranchHints::new();
    let mut functions = FunctionSection::new();
    let mut code = CodeSection::new();
    let mut function_types = Vec::new();
    if let Some(r) = s.functions.clone() {
        for (i, ty) in r.into_iter().enumerate() {
            let func = imported_funcs + i as u32;
            match analysis.function(func) {
                Some(f) if layout.passes_counter(func) => {
                    // The counter and the index (see `body`).
                    let params = [f.params(), &layout.passed(layout.takes_index(func))].concat();
                    let results = [f.results(), &[ValType::I64]].concat();
                    function_types.push(types.index(&params, &results));
                }
                _ => function_types.push(ty?),
            }
        }
    }
    for ty in &function_types {
        functions.function(*ty);
    }
    let mut copies = Vec::new();
    for ((i, body), levels) in s.code.iter().enumerate().zip(&plans) {
        let func = imported_funcs + i as u32;
        let function = analysis.function(func).ok_or_else(|| {
            InstrumentError::Unsupported(format!("no analysis of function {func}"))
        })?;
        let mut site_ids = Vec::with_capacity(levels.len());
        for level in levels {
            let mut ids = Vec::new();
            if !level.sites.is_empty() {
                let level_id = meta.levels.len() as u32;
                for (slot, site) in level.sites.iter().enumerate() {
                    let id = meta.sites.len() as u32;
                    ids.push(id);
                    meta.sites.push(Site {
                        kind: site.kind,
                        func,
                        pc: site.pc,
                        level: level_id,
                        slot: slot as u32 + 1,
                        types: site.types.clone(),
                        consumed: site.consumed,
                        indirect: site.indirect,
                        merged: site.kind == SiteKind::Call
                            && (site.callee.is_some_and(|f| layout.passes_counter(f))
                                || (site.indirect && layout.indirect_passes(site.type_index))),
                    });
                }
                meta.level_index
                    .insert((func, level.start, level.kind as i32), level_id);
                meta.levels.push(Level {
                    func,
                    start: level.start,
                    kind: level.kind,
                    sites: ids.clone(),
                });
            }
            site_ids.push(ids);
        }
        let copy = layout.rewind[func as usize];
        let emitter = Emitter::new(
            &layout,
            &mut types,
            analysis,
            func,
            function,
            levels,
            &site_ids,
            copy.is_none(),
        );
        let emitted = emitter.run(body, &mut remap)?;
        add_code(&mut code, &mut branch_hints, layout.func(func), &emitted);
        if let Some(index) = copy {
            let emitter = Emitter::new(
                &layout, &mut types, analysis, func, function, levels, &site_ids, true,
            );
            copies.push((func, index, emitter.run(body, &mut remap)?));
        }
    }
    let defined = s.code.len() as u32;
    let mut next_func = imported_funcs + added_imports + defined;
    // MVP: the direct dispatches (indices `layout.dispatchers`), not exported.
    for ty in &indirect_types {
        let (ty_index, body) = dispatcher(analysis, &layout, &mut types, *ty)?;
        functions.function(ty_index);
        code.function(&body);
        next_func += 1;
    }
    // The rewind copies (indices `layout.rewind`), of the same types as their functions.
    for (func, index, emitted) in &copies {
        let ty = function_types
            .get((*func - imported_funcs) as usize)
            .copied()
            .ok_or_else(|| InstrumentError::Unsupported(format!("no type of function {func}")))?;
        functions.function(ty);
        add_code(&mut code, &mut branch_hints, *index, emitted);
        next_func += 1;
    }
    // The re-arm function (`layout.rearm`), with a frame limit.
    if let Some(limit) = options.max_frames {
        let ty = types.index(&[ValType::I64], &[ValType::I64]);
        functions.function(ty);
        code.function(&rearm_body(&layout, limit));
        next_func += 1;
    }
    let mut exports = ExportSection::new();
    if let Some(r) = s.exports.clone() {
        for export in r.clone() {
            let export = export?;
            if export.name.starts_with(names::PREFIX) {
                return Err(InstrumentError::Unsupported(format!(
                    "the module already exports {:?}",
                    export.name
                )));
            }
            if export.kind == wasmparser::ExternalKind::Func {
                meta.func_exports
                    .push((export.name.to_string(), export.index));
            }
        }
        remap.parse_export_section(&mut exports, r)?;
    }
    let mut add_helper = |name: &str,
                          params: &[ValType],
                          results: &[ValType],
                          body: Function,
                          functions: &mut FunctionSection,
                          code: &mut CodeSection,
                          exports: &mut ExportSection,
                          types: &mut Types| {
        functions.function(types.index(params, results));
        code.function(&body);
        exports.export(name, ExportKind::Func, next_func);
        next_func += 1;
    };
    let helpers = helper_bodies(analysis, &layout, options.mvp);
    for (name, params, results, body) in helpers {
        add_helper(
            &name,
            &params,
            &results,
            body,
            &mut functions,
            &mut code,
            &mut exports,
            &mut types,
        );
    }
    exports.export(names::LEFT, ExportKind::Global, layout.left);
    exports.export(names::SLACK, ExportKind::Global, layout.slack);
    for i in 0..analysis.memories().len() {
        exports.export(&names::memory(i), ExportKind::Memory, i as u32);
    }
    // (A counter-passing function has no references to make: nothing outside calls it.)
    for k in (0..analysis.func_count()).filter(|k| !layout.passes_counter(*k)) {
        exports.export(&names::func(k), ExportKind::Func, layout.func(k));
    }
    // A rewind enters its outermost frame's function through its rewind copy.
    for (func, index, _) in copies.iter().filter(|c| !layout.passes_counter(c.0)) {
        exports.export(&names::rewind(*func), ExportKind::Func, *index);
        meta.rewind_copies.push(*func);
    }

    // Tables, memories, globals.
    let mut tables = TableSection::new();
    if let Some(r) = s.tables.clone() {
        remap.parse_table_section(&mut tables, r)?;
    }
    let count = u64::from(analysis.func_count());
    if layout.funcs_table.is_some() {
        tables.table(TableType {
            element_type: RefType::FUNCREF,
            table64: false,
            minimum: count,
            maximum: Some(count),
            shared: false,
        });
    }
    let mut memories = MemorySection::new();
    if let Some(r) = s.memories.clone() {
        remap.parse_memory_section(&mut memories, r)?;
    }
    let mut globals = GlobalSection::new();
    if let Some(r) = s.globals.clone() {
        remap.parse_global_section(&mut globals, r)?;
    }
    let global = |val_type, mutable| GlobalType {
        val_type,
        mutable,
        shared: false,
    };
    globals.global(
        global(wasm_encoder::ValType::I32, true),
        &ConstExpr::i32_const(0),
    );
    globals.global(
        global(wasm_encoder::ValType::I64, true),
        &ConstExpr::i64_const(i64::MAX),
    );
    // The slack (`layout.slack`).
    globals.global(
        global(wasm_encoder::ValType::I64, true),
        &ConstExpr::i64_const(0),
    );
    for _ in layout.data_flags.iter().chain(&layout.elem_flags).flatten() {
        globals.global(
            global(wasm_encoder::ValType::I32, true),
            &ConstExpr::i32_const(0),
        );
    }
    // The unwind site global (`layout.unwind_site`), last.
    globals.global(
        global(wasm_encoder::ValType::I32, true),
        &ConstExpr::i32_const(0),
    );

    // Elements: the original ones, then every function into the private table.
    let mut elements = ElementSection::new();
    if let Some(r) = s.elements.clone() {
        remap.parse_element_section(&mut elements, r)?;
    }
    if let Some(funcs_table) = layout.funcs_table {
        // (Only rewinds call through it: the rewind copies.)
        let all: Vec<u32> = (0..analysis.func_count())
            .map(|k| layout.rewind_func(k))
            .collect();
        elements.active(
            Some(funcs_table),
            &ConstExpr::i32_const(0),
            Elements::Functions(all.into()),
        );
    }
    let mut data = DataSection::new();
    if let Some(r) = s.data.clone() {
        remap.parse_data_section(&mut data, r)?;
    }

    // Types last: the bodies and helpers registered theirs.
    let mut type_section = TypeSection::new();
    if let Some(r) = s.types.clone() {
        remap.parse_type_section(&mut type_section, r)?;
    }
    for (params, results) in &types.list {
        type_section.ty().function(
            params.iter().map(|t| enc(*t)),
            results.iter().map(|t| enc(*t)),
        );
    }

    let mut module = Module::new();
    module.section(&type_section);
    module.section(&imports);
    module.section(&functions);
    module.section(&tables);
    if s.memories.is_some() {
        module.section(&memories);
    }
    module.section(&globals);
    module.section(&exports);
    if let Some(start) = s.start {
        module.section(&StartSection {
            function_index: layout.func(start),
        });
    }
    module.section(&elements);
    // A data count section is bulk memory's: an MVP rewrite keeps the original's choice.
    if !meta.data_passive.is_empty() && layout.data_count {
        module.section(&DataCountSection {
            count: meta.data_passive.len() as u32,
        });
    }
    if !branch_hints.is_empty() {
        module.section(&branch_hints);
    }
    module.section(&code);
    if s.data.is_some() {
        module.section(&data);
    }
    Ok(Instrumented {
        wasm: module.finish(),
        meta,
    })
}

/// Appends a rewritten function at index `index` to the code section, and its hints.
fn add_code(code: &mut CodeSection, hints: &mut BranchHints, index: u32, emitted: &Emitted) {
    code.function(&emitted.function);
    if !emitted.unlikely.is_empty() {
        let offsets = emitted.unlikely.iter().map(|offset| BranchHint {
            branch_func_offset: *offset,
            branch_hint_value: 0,
        });
        hints.function_hints(index, offsets);
    }
}

/// A helper: export name, params, results, body.
type Helper = (String, Vec<ValType>, Vec<ValType>, Function);

/// The re-arm function (`(counter) -> counter`, see `layout::GO_ON`): with no slack, the
/// counter as it is; else the events left (the counter's plus the slack): below 0, that (the
/// host's turn, no slack left); otherwise at most `2 * (limit - depth)` of them in the counter,
/// the rest kept as slack, at the counter's depth.
fn rearm_body(l: &Layout, limit: u32) -> Function {
    use Instruction as I;
    let bits = i64::from(crate::layout::DEPTH_BITS);
    let mask = l.unit() - 1;
    let (x, t, new) = (0, 1, 2);
    let depth_bits = [I::LocalGet(x), I::I64Const(mask), I::I64And];
    let mut body = vec![
        I::GlobalGet(l.slack),
        I::I64Eqz,
        I::If(wasm_encoder::BlockType::Empty),
        I::LocalGet(x),
        I::Return,
        I::End,
        I::LocalGet(x),
        I::I64Const(bits),
        I::I64ShrS,
        I::GlobalGet(l.slack),
        I::I64Add,
        I::LocalTee(t),
        I::I64Const(0),
        I::I64LtS,
        I::If(wasm_encoder::BlockType::Empty),
        I::I64Const(0),
        I::GlobalSet(l.slack),
        I::LocalGet(t),
        I::I64Const(bits),
        I::I64Shl,
    ];
    body.extend(depth_bits.clone());
    body.extend([
        I::I64Or,
        I::Return,
        I::End,
        I::I64Const(2 * i64::from(limit)),
    ]);
    body.extend(depth_bits.clone());
    body.extend([
        I::I64Const(2),
        I::I64Mul,
        I::I64Sub,
        I::LocalSet(new),
        // new = max(0, min(t, bound))
        I::LocalGet(t),
        I::LocalGet(new),
        I::I64LtS,
        I::If(wasm_encoder::BlockType::Empty),
        I::LocalGet(t),
        I::LocalSet(new),
        I::End,
        I::LocalGet(new),
        I::I64Const(0),
        I::I64LtS,
        I::If(wasm_encoder::BlockType::Empty),
        I::I64Const(0),
        I::LocalSet(new),
        I::End,
        I::LocalGet(t),
        I::LocalGet(new),
        I::I64Sub,
        I::GlobalSet(l.slack),
        I::LocalGet(new),
        I::I64Const(bits),
        I::I64Shl,
    ]);
    body.extend(depth_bits);
    body.push(I::I64Or);
    body_of(&[ValType::I64, ValType::I64], &body)
}

fn body_of(locals: &[ValType], instrs: &[Instruction<'_>]) -> Function {
    let mut f = Function::new_with_locals_types(locals.iter().map(|t| enc(*t)));
    for instr in instrs {
        f.instruction(instr);
    }
    f.instruction(&Instruction::End);
    f
}

/// `if (cond) return -1`: a helper refusing (a memory or table cannot shrink or grow).
fn refuse_if() -> [Instruction<'static>; 4] {
    [
        Instruction::If(wasm_encoder::BlockType::Empty),
        Instruction::I32Const(-1),
        Instruction::Return,
        Instruction::End,
    ]
}

/// Zeroes memory `m` (local 1 of the caller is scratch): `memory.fill`, or in an MVP rewrite a
/// loop of `i64.store`s from the top down (a memory's byte size is a multiple of 8).
fn zero_memory(m: u32, mvp: bool) -> Vec<Instruction<'static>> {
    use Instruction as I;
    if !mvp {
        return vec![
            I::I32Const(0),
            I::I32Const(0),
            I::MemorySize(m),
            I::I32Const(16),
            I::I32Shl,
            I::MemoryFill(m),
        ];
    }
    vec![
        I::MemorySize(m),
        I::I32Const(16),
        I::I32Shl,
        I::LocalSet(1),
        I::Block(wasm_encoder::BlockType::Empty),
        I::Loop(wasm_encoder::BlockType::Empty),
        I::LocalGet(1),
        I::I32Eqz,
        I::BrIf(1),
        I::LocalGet(1),
        I::I32Const(8),
        I::I32Sub,
        I::LocalTee(1),
        I::I64Const(0),
        I::I64Store(MemArg {
            offset: 0,
            align: 3,
            target: wasm_encoder::MemArgTarget::Memory(m),
            ordering: None,
        }),
        I::Br(0),
        I::End,
        I::End,
    ]
}

/// A helper without parameters, results or locals.
fn nullary(name: &str, instrs: &[Instruction<'_>]) -> Helper {
    (name.into(), vec![], vec![], body_of(&[], instrs))
}

/// MVP: the direct dispatch of `call_indirect` type `ty`: `(params.., callee) -> results`
/// calls the rewind copy of original function `callee` (a defined function of a type equal to
/// `ty`) directly, and traps on any other index. A `br_table` over the function index space
/// picks the call.
fn dispatcher(
    analysis: &ModuleAnalysis,
    l: &Layout,
    types: &mut Types,
    ty: u32,
) -> Result<(u32, Function), InstrumentError> {
    use Instruction as I;
    let sig = analysis.func_type(ty).ok_or_else(|| {
        InstrumentError::Unsupported(format!("call_indirect of unknown type {ty}"))
    })?;
    // A passing type's callees are the indexed functions: they take the counter and
    // index too, and return the counter (see `crate::counter`); other counter-passing
    // functions are in no table.
    let passes = l.indirect_passes(ty);
    let (params, results) = if passes {
        l.passing_signature(sig)
    } else {
        (sig.params().to_vec(), sig.results().to_vec())
    };
    let mut with_callee = params.clone();
    with_callee.push(ValType::I32);
    let type_index = types.index(&with_callee, &results);
    let callees: Vec<u32> = (analysis.imported_func_count()..analysis.func_count())
        .filter(|f| {
            analysis.func_type_of(*f) == Some(sig)
                && if passes {
                    l.takes_index(*f)
                } else {
                    !l.passes_counter(*f)
                }
        })
        .collect();
    let mut instrs = Vec::new();
    if !callees.is_empty() {
        let n = callees.len() as u32;
        for _ in 0..=n {
            instrs.push(I::Block(wasm_encoder::BlockType::Empty));
        }
        // Depth `i` ends case `i`'s block (its call follows), depth `n` the fail block.
        let targets: Vec<u32> = (0..analysis.func_count())
            .map(|f| callees.iter().position(|c| *c == f).map_or(n, |i| i as u32))
            .collect();
        instrs.push(I::LocalGet(params.len() as u32));
        instrs.push(I::BrTable(targets.into(), n));
        for callee in &callees {
            instrs.push(I::End);
            instrs.extend((0..params.len() as u32).map(I::LocalGet));
            instrs.push(I::Call(l.rewind_func(*callee)));
            instrs.push(I::Return);
        }
        instrs.push(I::End);
    }
    instrs.push(I::Unreachable);
    Ok((type_index, body_of(&[], &instrs)))
}

/// The exported state helpers (see [`names`]); an MVP rewrite has no table helpers and zeroes
/// memory without `memory.fill`.
fn helper_bodies(analysis: &ModuleAnalysis, l: &Layout, mvp: bool) -> Vec<Helper> {
    use Instruction as I;
    let mut out: Vec<Helper> = Vec::new();
    let control = vec![
        I::LocalGet(0),
        I::GlobalSet(l.mode),
        I::LocalGet(1),
        I::GlobalSet(l.left),
        I::LocalGet(2),
        I::GlobalSet(l.slack),
    ];
    out.push((
        names::CONTROL.into(),
        vec![ValType::I32, ValType::I64, ValType::I64],
        vec![],
        body_of(&[], &control),
    ));
    let mut save = Vec::new();
    let mut load = Vec::new();
    for (g, ty) in analysis.globals().iter().enumerate() {
        save.push(I::GlobalGet(g as u32));
        save.extend(l.save_seq(ty.content_type));
        if ty.mutable {
            load.extend(l.load_seq(ty.content_type));
            load.push(I::GlobalSet(g as u32));
        }
    }
    out.push(nullary(names::GLOBALS_SAVE, &save));
    out.push(nullary(names::GLOBALS_LOAD, &load));
    for i in 0..analysis.memories().len() {
        let m = i as u32;
        let resize = [I::LocalGet(0), I::MemorySize(m), I::I32LtU]
            .into_iter()
            .chain(refuse_if())
            .chain([
                I::LocalGet(0),
                I::MemorySize(m),
                I::I32Sub,
                I::MemoryGrow(m),
                I::I32Const(-1),
                I::I32Eq,
            ])
            .chain(refuse_if())
            .chain(zero_memory(m, mvp))
            .chain([I::I32Const(0)])
            .collect::<Vec<_>>();
        out.push((
            names::memory_resize(i),
            vec![ValType::I32],
            vec![ValType::I32],
            body_of(&[ValType::I32], &resize),
        ));
        let fill = [
            I::Loop(wasm_encoder::BlockType::Empty),
            I::LocalGet(0),
            I::LocalGet(1),
            I::I32Add,
            I::Call(l.load(ValType::I64)),
            I::I64Store(MemArg {
                offset: 0,
                align: 0,
                target: wasm_encoder::MemArgTarget::Memory(m),
                ordering: None,
            }),
            I::LocalGet(1),
            I::I32Const(8),
            I::I32Add,
            I::LocalTee(1),
            I::I32Const(4096),
            I::I32LtU,
            I::BrIf(0),
            I::End,
        ];
        out.push((
            names::memory_fill(i),
            vec![ValType::I32],
            vec![],
            body_of(&[ValType::I32], &fill),
        ));
    }
    // MVP: no table instructions; the host derives the tables from the element segments.
    let tables = if mvp { &[][..] } else { analysis.tables() };
    for (t, table) in tables.iter().enumerate() {
        let ti = t as u32;
        let ty = ValType::Ref(table.element_type);
        let null = if table.element_type == wasmparser::RefType::EXTERNREF {
            HeapType::EXTERN
        } else {
            HeapType::FUNC
        };
        let save = [
            I::Block(wasm_encoder::BlockType::Empty),
            I::Loop(wasm_encoder::BlockType::Empty),
            I::LocalGet(0),
            I::TableSize(ti),
            I::I32GeU,
            I::BrIf(1),
            I::LocalGet(0),
            I::TableGet(ti),
            I::Call(l.save(ty)),
            I::LocalGet(0),
            I::I32Const(1),
            I::I32Add,
            I::LocalSet(0),
            I::Br(0),
            I::End,
            I::End,
        ];
        out.push((
            names::table_save(t),
            vec![],
            vec![],
            body_of(&[ValType::I32], &save),
        ));
        let load = [I::TableSize(ti), I::LocalGet(0), I::I32GtU]
            .into_iter()
            .chain(refuse_if())
            .chain([
                I::RefNull(null),
                I::LocalGet(0),
                I::TableSize(ti),
                I::I32Sub,
                I::TableGrow(ti),
                I::I32Const(-1),
                I::I32Eq,
            ])
            .chain(refuse_if())
            .chain([
                I::Block(wasm_encoder::BlockType::Empty),
                I::Loop(wasm_encoder::BlockType::Empty),
                I::LocalGet(1),
                I::LocalGet(0),
                I::I32GeU,
                I::BrIf(1),
                I::LocalGet(1),
                I::Call(l.load(ty)),
                I::TableSet(ti),
                I::LocalGet(1),
                I::I32Const(1),
                I::I32Add,
                I::LocalSet(1),
                I::Br(0),
                I::End,
                I::End,
                I::I32Const(0),
            ])
            .collect::<Vec<_>>();
        out.push((
            names::table_load(t),
            vec![ValType::I32],
            vec![ValType::I32],
            body_of(&[ValType::I32], &load),
        ));
    }
    let mut save = Vec::new();
    let mut load = Vec::new();
    let segments = l
        .data_flags
        .iter()
        .enumerate()
        .map(|(i, f)| (true, i as u32, *f))
        .chain(
            l.elem_flags
                .iter()
                .enumerate()
                .map(|(i, f)| (false, i as u32, *f)),
        );
    for (is_data, index, flag) in segments {
        let Some(flag) = flag else { continue };
        save.push(I::GlobalGet(flag));
        save.push(I::Call(l.save(ValType::I32)));
        load.push(I::Call(l.load(ValType::I32)));
        load.push(I::If(wasm_encoder::BlockType::Empty));
        match is_data {
            true if l.data_count => load.push(I::DataDrop(index)),
            true => {}
            false => load.push(I::ElemDrop(index)),
        }
        load.push(I::I32Const(1));
        load.push(I::GlobalSet(flag));
        load.push(I::End);
    }
    out.push(nullary(names::DROPPED_SAVE, &save));
    out.push(nullary(names::DROPPED_LOAD, &load));
    out
}
