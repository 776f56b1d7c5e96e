//! The repair of a wasmi instantiation that failed in an active segment.
//!
//! wasmi (1.x and 2.0) writes a module's active element and data segments before it finishes
//! building the instance. When a later segment does not fit, the entries the earlier ones
//! wrote into *imported* tables stay there (as Wasm 2.0 requires) but are functions of an
//! instance that was never finished: calling one that reads its instance's globals, tables or
//! memories reads past the unfinished instance (a segfault; `linking.wast`'s "active element
//! segments stored before an out-of-bounds access persist", once its functions read globals,
//! as every function rewritten by `baton instrument` does).
//!
//! [`segments_in_start`] rewrites such a module so that its start function applies the
//! segments instead, in the spec's order (every element segment, then every data segment:
//! `table.init` then `elem.drop`, `memory.init` then `data.drop`). wasmi runs a start function
//! after it finished the instance, so instantiating the rewrite with the same imports writes the
//! same entries again, now functions of a finished instance, and traps at the same segment.
//!
//! Invariants: function, element and data indices are unchanged (active segments become
//! passive; the new start function comes after every other function, its type after every
//! other type); the module's own start function is not called (the instantiation being
//! repaired failed before it ran).

use wasm_encoder::reencode::{utils, Error, Reencode};
use wasm_encoder::{
    CodeSection, DataCountSection, DataSection, ElementSection, Function, FunctionSection,
    Instruction, Module, SectionId, StartSection, TypeSection,
};
use wasmparser::{ConstExpr, DataKind, ElementItems, ElementKind, Operator, Parser, Payload};

/// An active segment, as the new start function applies it.
struct Active {
    /// Element or data segment index.
    index: u32,
    /// Table or memory index.
    target: u32,
    /// The offset expression's one instruction.
    offset: Instruction<'static>,
    /// Elements or bytes.
    len: u32,
}

/// What the rewrite needs to know before it re-encodes the module.
#[derive(Default)]
struct Scan {
    types: u32,
    funcs: u32,
    elements: Vec<Active>,
    data: Vec<Active>,
    data_count: Option<u32>,
    has_data_count: bool,
    has_types: bool,
    has_functions: bool,
    has_start: bool,
    has_code: bool,
}

/// Rewrites `wasm` so that its start function applies its active segments (see the module
/// docs), or says why it cannot (an offset that is not one constant or `global.get`).
pub fn segments_in_start(wasm: &[u8]) -> Result<Vec<u8>, String> {
    let scan = scan(wasm)?;
    let mut body = Function::new([]);
    for segment in &scan.elements {
        body.instruction(&segment.offset);
        body.instruction(&Instruction::I32Const(0));
        body.instruction(&Instruction::I32Const(segment.len as i32));
        body.instruction(&Instruction::TableInit {
            elem_index: segment.index,
            table: segment.target,
        });
        body.instruction(&Instruction::ElemDrop(segment.index));
    }
    for segment in &scan.data {
        body.instruction(&segment.offset);
        body.instruction(&Instruction::I32Const(0));
        body.instruction(&Instruction::I32Const(segment.len as i32));
        body.instruction(&Instruction::MemoryInit {
            mem: segment.target,
            data_index: segment.index,
        });
        body.instruction(&Instruction::DataDrop(segment.index));
    }
    body.instruction(&Instruction::End);
    let mut rewrite = Rewrite { scan, body };
    let mut module = Module::new();
    rewrite
        .parse_core_module(&mut module, Parser::new(0), wasm)
        .map_err(|error| format!("re-encoding: {error}"))?;
    Ok(module.finish())
}

fn scan(wasm: &[u8]) -> Result<Scan, String> {
    let mut scan = Scan::default();
    for payload in Parser::new(0).parse_all(wasm) {
        match payload.map_err(|e| e.to_string())? {
            Payload::TypeSection(reader) => {
                scan.has_types = true;
                scan.types = reader.count();
            }
            Payload::ImportSection(reader) => {
                for imports in reader {
                    for import in imports.map_err(|e| e.to_string())? {
                        let (_, import) = import.map_err(|e| e.to_string())?;
                        if matches!(import.ty, wasmparser::TypeRef::Func(_)) {
                            scan.funcs += 1;
                        }
                    }
                }
            }
            Payload::FunctionSection(reader) => {
                scan.has_functions = true;
                scan.funcs += reader.count();
            }
            Payload::StartSection { .. } => scan.has_start = true,
            Payload::ElementSection(reader) => {
                for (index, element) in reader.into_iter().enumerate() {
                    let element = element.map_err(|e| e.to_string())?;
                    if let ElementKind::Active {
                        table_index,
                        offset_expr,
                    } = element.kind
                    {
                        scan.elements.push(Active {
                            index: index as u32,
                            target: table_index.unwrap_or(0),
                            offset: offset(&offset_expr)?,
                            len: match &element.items {
                                ElementItems::Functions(items) => items.count(),
                                ElementItems::Expressions(_, items) => items.count(),
                            },
                        });
                    }
                }
            }
            Payload::DataCountSection { count, .. } => {
                scan.has_data_count = true;
                scan.data_count = Some(count);
            }
            Payload::DataSection(reader) => {
                let count = reader.count();
                for (index, data) in reader.into_iter().enumerate() {
                    let data = data.map_err(|e| e.to_string())?;
                    if let DataKind::Active {
                        memory_index,
                        offset_expr,
                    } = data.kind
                    {
                        scan.data.push(Active {
                            index: index as u32,
                            target: memory_index,
                            offset: offset(&offset_expr)?,
                            len: data.data.len() as u32,
                        });
                    }
                }
                scan.data_count.get_or_insert(count);
            }
            Payload::CodeSectionStart { .. } => scan.has_code = true,
            _ => {}
        }
    }
    Ok(scan)
}

/// A segment offset as one instruction: Wasm 2.0 allows a constant or an imported global.
fn offset(expr: &ConstExpr<'_>) -> Result<Instruction<'static>, String> {
    let mut reader = expr.get_operators_reader();
    let instruction = match reader.read().map_err(|e| e.to_string())? {
        Operator::I32Const { value } => Instruction::I32Const(value),
        Operator::I64Const { value } => Instruction::I64Const(value),
        Operator::GlobalGet { global_index } => Instruction::GlobalGet(global_index),
        other => return Err(format!("segment offset {other:?}")),
    };
    match reader.read().map_err(|e| e.to_string())? {
        Operator::End => Ok(instruction),
        other => Err(format!("segment offset followed by {other:?}")),
    }
}

struct Rewrite {
    scan: Scan,
    body: Function,
}

impl Rewrite {
    /// The new start function's index and type index.
    fn start(&self) -> (u32, u32) {
        (self.scan.funcs, self.scan.types)
    }

    fn new_types(&self) -> TypeSection {
        let mut types = TypeSection::new();
        types.ty().function([], []);
        types
    }
}

/// Canonical position of a non-custom section (the data count section sits between the
/// element and code sections).
fn rank(id: SectionId) -> u32 {
    match id {
        SectionId::DataCount => 95,
        SectionId::Code => 100,
        SectionId::Data => 110,
        other => u32::from(other as u8) * 10,
    }
}

impl Reencode for Rewrite {
    type Error = std::convert::Infallible;

    fn parse_type_section(
        &mut self,
        types: &mut TypeSection,
        section: wasmparser::TypeSectionReader<'_>,
    ) -> Result<(), Error<Self::Error>> {
        utils::parse_type_section(self, types, section)?;
        types.ty().function([], []);
        Ok(())
    }

    fn parse_function_section(
        &mut self,
        functions: &mut FunctionSection,
        section: wasmparser::FunctionSectionReader<'_>,
    ) -> Result<(), Error<Self::Error>> {
        utils::parse_function_section(self, functions, section)?;
        functions.function(self.start().1);
        Ok(())
    }

    fn start_section(&mut self, _start: u32) -> Result<u32, Error<Self::Error>> {
        Ok(self.start().0)
    }

    fn parse_element(
        &mut self,
        elements: &mut ElementSection,
        element: wasmparser::Element<'_>,
    ) -> Result<(), Error<Self::Error>> {
        if let ElementKind::Active { .. } = element.kind {
            let items = self.element_items(element.items)?;
            elements.passive(items);
            return Ok(());
        }
        utils::parse_element(self, elements, element)
    }

    fn parse_data(
        &mut self,
        data: &mut DataSection,
        datum: wasmparser::Data<'_>,
    ) -> Result<(), Error<Self::Error>> {
        if let DataKind::Active { .. } = datum.kind {
            data.passive(datum.data.iter().copied());
            return Ok(());
        }
        utils::parse_data(self, data, datum)
    }

    fn parse_code_section(
        &mut self,
        code: &mut CodeSection,
        section: wasmparser::CodeSectionReader<'_>,
    ) -> Result<(), Error<Self::Error>> {
        utils::parse_code_section(self, code, section)?;
        code.function(&self.body);
        Ok(())
    }

    /// Adds the sections the module lacks (types, functions, start, data count, code) at
    /// their place.
    fn intersperse_section_hook(
        &mut self,
        module: &mut Module,
        after: Option<SectionId>,
        before: Option<SectionId>,
    ) -> Result<(), Error<Self::Error>> {
        let low = after.map_or(0, rank);
        let high = before.map_or(u32::MAX, rank);
        let missing = |id: SectionId, present: bool| !present && low < rank(id) && rank(id) < high;
        if missing(SectionId::Type, self.scan.has_types) {
            module.section(&self.new_types());
        }
        if missing(SectionId::Function, self.scan.has_functions) {
            let mut functions = FunctionSection::new();
            functions.function(self.start().1);
            module.section(&functions);
        }
        if missing(SectionId::Start, self.scan.has_start) {
            module.section(&StartSection {
                function_index: self.start().0,
            });
        }
        if missing(SectionId::DataCount, self.scan.has_data_count) {
            if let Some(count) = self.scan.data_count {
                module.section(&DataCountSection { count });
            }
        }
        if missing(SectionId::Code, self.scan.has_code) {
            let mut code = CodeSection::new();
            code.function(&self.body);
            module.section(&code);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::segments_in_start;
    use baton_engine::{Engine, EngineConfig, EngineError, RunOptions, RunOutcome, Trap, Value};

    /// Exports a table and calls through it.
    const TABLE: &str = r#"(module
        (type $t (func (result i32)))
        (table (export "tab") 10 funcref)
        (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))"#;

    /// Writes `$f` (which reads its instance's last global) into the imported table at 7,
    /// then fails: in the element segment after it (`elements`) or in a data segment.
    fn failing(in_data: bool) -> String {
        let globals: String = (0..6)
            .map(|i| format!("(global $g{i} (mut i32) (i32.const {}))", 40 + i))
            .collect();
        let failure = if in_data {
            r#"(memory 1) (data (i32.const 0x10000) "d")"#
        } else {
            "(elem (i32.const 8) $f $f $f $f $f)"
        };
        format!(
            r#"(module (table (import "M" "tab") 10 funcref) {globals}
                (func $f (result i32) (global.get $g5))
                (elem (i32.const 7) $f) {failure})"#
        )
    }

    fn session(name: &str) -> Box<dyn Engine> {
        let entry = crate::adapters::find(name).expect("registered");
        (entry.create)(&EngineConfig { max_frames: 1024 })
    }

    /// An instantiation that fails in a segment leaves a callable function in the imported
    /// table: calling it reads the failed instance's own global. Without the repair wasmi
    /// reads past an unfinished instance (a segfault or a wrong value).
    #[test]
    fn functions_a_failed_instantiation_left_in_a_table_read_their_globals() {
        for name in [super::super::wasmi::NAME, super::super::wasmi_v1::NAME] {
            for in_data in [false, true] {
                let mut engine = session(name);
                let table = engine.compile(&wat::parse_str(TABLE).unwrap()).unwrap();
                let table = engine.instantiate(table, &[]).unwrap();
                let exports = engine.exports(table).unwrap();
                let tab = exports.iter().find(|(n, _)| n == "tab").unwrap().1;
                let module = wat::parse_str(failing(in_data)).unwrap();
                let module = engine.compile(&module).unwrap();
                let expected = if in_data {
                    Trap::MemoryOutOfBounds
                } else {
                    Trap::TableOutOfBounds
                };
                match engine.instantiate(module, &[tab]) {
                    Err(EngineError::InstantiationTrap(trap)) => assert_eq!(trap, expected),
                    other => panic!("{name}: instantiation ended {other:?}"),
                }
                let report = engine
                    .invoke(table, "call", &[Value::I32(7)], RunOptions::default())
                    .unwrap();
                assert_eq!(
                    report.outcome,
                    RunOutcome::Returned(vec![Value::I32(45)]),
                    "{name}, failing in data: {in_data}"
                );
                // Nothing past the failing segment was written.
                let report = engine
                    .invoke(table, "call", &[Value::I32(8)], RunOptions::default())
                    .unwrap();
                assert_eq!(
                    report.outcome,
                    RunOutcome::Trapped(Trap::UninitializedElement)
                );
            }
        }
    }

    /// The rewrite keeps every index: a module mixing passive, active and declared segments,
    /// a start function and an imported-global offset instantiates (in wasmi, from the
    /// rewrite's start function) to the same table and memory as the original.
    #[test]
    fn the_rewrite_applies_the_segments_like_instantiation() {
        let wat = r#"(module
            (import "M" "base" (global $base i32))
            (type $t (func (result i32)))
            (table (export "tab") 6 funcref)
            (memory (export "mem") 1)
            (func $a (result i32) (i32.const 1))
            (func $b (result i32) (i32.const 2))
            (func $c (result i32) (i32.const 3))
            (elem $p func $c $a)
            (elem (i32.const 1) $a $b)
            (elem declare func $c)
            (elem (global.get $base) $b $c)
            (data $d "xyz")
            (data (i32.const 4) "abc")
            (data (global.get $base) "Q")
            (func (export "copy") (table.init $p (i32.const 0) (i32.const 0) (i32.const 2)))
            (func (export "call") (param i32) (result i32) (call_indirect (type $t) (local.get 0))))"#;
        let original = wat::parse_str(wat).unwrap();
        let rewritten = segments_in_start(&original).unwrap();
        wasmparser::Validator::new()
            .validate_all(&rewritten)
            .expect("the rewrite validates");
        let state = |wasm: &[u8]| {
            let mut engine = session(super::super::wasmi::NAME);
            let base = engine
                .host_global(
                    baton_engine::GlobalType {
                        content: baton_engine::ValType::I32,
                        mutable: false,
                    },
                    Value::I32(3),
                )
                .unwrap();
            let module = engine.compile(wasm).unwrap();
            let instance = engine.instantiate(module, &[base]).unwrap();
            let calls: Vec<_> = (0..6)
                .map(|slot| {
                    engine
                        .invoke(instance, "call", &[Value::I32(slot)], RunOptions::default())
                        .unwrap()
                        .outcome
                })
                .collect();
            let copied = engine.invoke(instance, "copy", &[], RunOptions::default());
            let exports = engine.exports(instance).unwrap();
            let mem = exports.iter().find(|(n, _)| n == "mem").unwrap().1;
            let bytes = engine.memory_data(mem).unwrap()[..8].to_vec();
            (calls, copied.unwrap().outcome, bytes)
        };
        let expected = state(&original);
        assert_eq!(expected.2, b"\0\0\0Qabc\0".to_vec());
        assert_eq!(state(&rewritten), expected);
    }
}
